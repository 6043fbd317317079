"""Scanning what the app wrote for secrets it must never write (keys, one-time codes,
passphrases, the audit seal key).

`WrittenFiles(root, …)` remembers the files under its roots; after a run, `.changed()` is
every file created or modified since. `find_secrets(files, secrets)` looks in each for each
secret as raw bytes, hex (either case), base64 and base64url (also across the line breaks a
PEM block has), and UTF-16 text; zip archives (backups, packets, returns, packs) are opened
and their members scanned too, since deflate would hide a secret from a byte search. SQLite
files are scanned as bytes, which covers free pages and the WAL beside them.

Use: take a WrittenFiles of tmp_path and the test home before the run (point
`tempfile.tempdir` inside it too), run the end-to-end work, then
`assert_nothing_leaked(watch, {"reviewer's private key": der_bytes, …})`.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_WHITESPACE = re.compile(rb"\s+")


@dataclass(frozen=True)
class Finding:
    path: str
    secret: str
    encoding: str

    def __str__(self) -> str:
        return f"{self.path}: {self.secret} ({self.encoding})"


def encodings(secret: bytes) -> dict[str, bytes]:
    """The forms a secret could take in a file."""
    forms = {
        "raw": secret,
        "hex": secret.hex().encode(),
        "HEX": secret.hex().upper().encode(),
        "base64": base64.b64encode(secret).rstrip(b"="),
        "base64url": base64.urlsafe_b64encode(secret).rstrip(b"="),
    }
    with contextlib.suppress(UnicodeDecodeError):
        forms["utf-16"] = secret.decode("utf-8").encode("utf-16-le")
    return {name: form for name, form in forms.items() if len(form) >= 8}


class WrittenFiles:
    """The files under some folders, to tell afterwards which a run created or changed."""

    def __init__(self, *roots: Path) -> None:
        self.roots = [Path(r) for r in roots]
        self.before = self._state()

    def _state(self) -> dict[Path, tuple[int, int]]:
        state = {}
        for root in self.roots:
            for path in root.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    info = path.stat()
                    state[path] = (info.st_mtime_ns, info.st_size)
        return state

    def changed(self) -> list[Path]:
        return sorted(p for p, s in self._state().items() if self.before.get(p) != s)


def _contents(name: str, data: bytes, depth: int = 0) -> Iterable[tuple[str, bytes]]:
    yield name, data
    if depth < 3 and data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            for info in archive.infolist():
                yield from _contents(f"{name}!{info.filename}", archive.read(info), depth + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            pass


def find_secrets(files: Iterable[Path], secrets: Mapping[str, bytes]) -> list[Finding]:
    forms = {
        (label, kind): form for label, s in secrets.items() for kind, form in encodings(s).items()
    }
    found: list[Finding] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # removed meanwhile
        for name, content in _contents(str(path), data):
            squeezed = _WHITESPACE.sub(b"", content)
            for (label, kind), form in forms.items():
                if form in content or (kind.startswith("base64") and form in squeezed):
                    found.append(Finding(name, label, kind))
    return found


def assert_nothing_leaked(watch: WrittenFiles, secrets: Mapping[str, bytes]) -> list[Path]:
    """Fail naming every file holding a secret; returns the files scanned."""
    files = watch.changed()
    assert files, "the run wrote nothing: the scan would prove nothing"
    findings = find_secrets(files, secrets)
    assert not findings, "secrets written to disk:\n" + "\n".join(map(str, findings))
    return files
