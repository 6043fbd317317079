"""The signed zip container every exchange file uses (packets, returns, decision packs).

Layout: `manifest.json` (format, kind, what the file is about, and the SHA-256 and size of
every other member), the members, and `manifest.sig`, a detached signature over the exact
bytes of manifest.json. Reading checks, in order, before anything is believed: that the
file is a zip at all; that no member name is absolute, climbs out with `..`, is a link or
a duplicate; that no member is too big or compresses suspiciously well (zip bombs), while
reading no more bytes than allowed whatever the headers claim; that the manifest parses,
is of this kind and a format this version understands; that the member set is exactly the
manifest's and every hash matches; and last that the signature holds. Any failure is a
BadInput naming the file and the problem, so an import changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from panel_desk.errors import BadInput

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for members above a megabyte
_RATIO_FLOOR = 1024 * 1024

Signer = Callable[[bytes], bytes]
"""Signs the manifest's bytes, returning a detached signature."""
Verifier = Callable[[bytes, bytes, Mapping[str, Any]], None]
"""Checks (manifest bytes, signature, parsed manifest); raises BadInput when it does not hold."""


@dataclass(frozen=True)
class Opened:
    """A container that passed every check: its manifest and its members' bytes."""

    path: Path
    manifest: dict[str, Any]
    members: dict[str, bytes]
    manifest_bytes: bytes
    signature: bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_container(
    path: Path,
    kind: str,
    format_version: int,
    header: Mapping[str, Any],
    members: Mapping[str, bytes],
    sign: Signer,
) -> dict[str, Any]:
    """Write a container atomically (temporary file, then rename); returns its manifest."""
    for name in members:
        _check_name(str(path), name)
        if name in (MANIFEST, SIGNATURE):
            raise ValueError(f"{name} is reserved")
    manifest = {
        "format": format_version,
        "kind": kind,
        **header,
        "members": {
            name: {"sha256": sha256(data), "size": len(data)}
            for name, data in sorted(members.items())
        },
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode()
    signature = sign(manifest_bytes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_entry(MANIFEST), manifest_bytes)
        for name, data in sorted(members.items()):
            archive.writestr(_entry(name), data)
        archive.writestr(_entry(SIGNATURE), signature)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(path)
    return manifest


def _entry(name: str) -> zipfile.ZipInfo:
    """A member with a fixed date and plain-file permissions: the same input, the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _check_name(source: str, name: str) -> None:
    pure = PurePosixPath(name)
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ".." in pure.parts
        or (len(name) > 1 and name[1] == ":")
        or name.endswith("/")
    ):
        raise BadInput(source, f"holds a member with an unsafe name: {name!r}")


def _read_member(source: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The member's bytes, never more than `limit`, whatever its header claims."""
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise BadInput(source, f"member {info.filename!r} cannot be read ({exc})") from None
    except Exception as exc:  # zlib.error and other decompressor failures
        raise BadInput(source, f"member {info.filename!r} is corrupt ({exc})") from None
    if len(data) > limit:
        raise BadInput(source, f"member {info.filename!r} is larger than allowed")
    return data


def open_container(
    path: Path, kind: str, known_formats: tuple[int, ...], verify: Verifier
) -> Opened:
    """Open and check a container of `kind`; BadInput at the first problem (see module doc)."""
    source = str(path)
    if not path.is_file():
        raise BadInput(source, "no such file" if not path.exists() else "is not a file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadInput(source, f"is not a {kind} file (not a zip archive: {exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise BadInput(source, f"holds {len(infos)} members, more than {MAX_MEMBERS}")
        names: set[str] = set()
        total = 0
        for info in infos:
            _check_name(source, info.filename)
            if info.filename in names:
                raise BadInput(source, f"holds the member {info.filename!r} twice")
            names.add(info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise BadInput(source, f"holds a link, {info.filename!r}; links are refused")
            if info.file_size > MAX_MEMBER_BYTES:
                raise BadInput(source, f"member {info.filename!r} is larger than allowed")
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise BadInput(
                    source, f"member {info.filename!r} expands suspiciously (a zip bomb?)"
                )
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise BadInput(source, "is larger than allowed when unpacked")
        for required in (MANIFEST, SIGNATURE):
            if required not in names:
                raise BadInput(source, f"has no {required}: it is not a signed {kind} file")
        manifest_bytes = _read_member(
            source, archive, archive.getinfo(MANIFEST), MAX_MANIFEST_BYTES
        )
        manifest = _parse_manifest(source, manifest_bytes, kind, known_formats)
        listed: dict[str, Any] = manifest["members"]
        extra = names - set(listed) - {MANIFEST, SIGNATURE}
        missing = set(listed) - names
        if extra:
            raise BadInput(source, f"holds {sorted(extra)[0]!r}, which its manifest does not list")
        if missing:
            raise BadInput(source, f"lacks {sorted(missing)[0]!r}, which its manifest lists")
        members: dict[str, bytes] = {}
        for name, entry in sorted(listed.items()):
            data = _read_member(source, archive, archive.getinfo(name), MAX_MEMBER_BYTES)
            if len(data) != entry["size"] or sha256(data) != entry["sha256"]:
                raise BadInput(source, f"member {name!r} does not match its hash in the manifest")
            members[name] = data
        signature = _read_member(source, archive, archive.getinfo(SIGNATURE), 64 * 1024)
    verify(manifest_bytes, signature, manifest)
    return Opened(path, manifest, members, manifest_bytes, signature)


def _parse_manifest(
    source: str, data: bytes, kind: str, known_formats: tuple[int, ...]
) -> dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(source, f"its manifest.json is malformed ({exc})") from None
    if not isinstance(manifest, dict):
        raise BadInput(source, "its manifest.json is not an object")
    if manifest.get("kind") != kind:
        raise BadInput(source, f"is a {manifest.get('kind')!r} file, not a {kind} file")
    version = manifest.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadInput(source, "its manifest.json has no format version")
    if version not in known_formats:
        newest = max(known_formats)
        if version > newest:
            raise BadInput(
                source,
                f"is format {version}, newer than this panel_desk reads ({newest}); "
                "update panel_desk",
            )
        raise BadInput(source, f"is format {version}, which this panel_desk does not read")
    members = manifest.get("members")
    if not isinstance(members, dict) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("size"), int)
        for entry in members.values()
    ):
        raise BadInput(source, "its manifest.json has no valid member list")
    for name in members:
        _check_name(source, name)
    return manifest
