"""Reading a backup archive as hostile input: every check made before a byte is trusted.

A backup can be large (every document of every round), so unlike the exchange files it is
streamed to disk, never read into memory; the rules are the same: member names that are
plain relative paths (no `..`, no absolute or drive paths, no backslashes), no links, no
duplicates, exactly the members the manifest lists, and no member allowed to expand past
the size the manifest declares (a zip bomb stops at that size, whatever its headers say).
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from panel_desk.errors import BadInput

MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 20


def _check_name(source: str, name: str) -> None:
    parts = PurePosixPath(name).parts
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ".." in parts
        or "." in parts
        or (len(name) > 1 and name[1] == ":")
        or name.endswith("/")
    ):
        raise BadInput(source, f"holds a member with an unsafe name: {name!r}")


@contextmanager
def open_archive(path: Path) -> Iterator[zipfile.ZipFile]:
    """The archive at `path`, its member names and kinds already checked."""
    source = str(path)
    if not path.is_file():
        raise BadInput(source, "no such file" if not path.exists() else "is not a file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadInput(source, f"is not a panel_desk backup (not a zip archive: {exc})") from None
    with archive:
        seen: set[str] = set()
        for info in archive.infolist():
            _check_name(source, info.filename)
            if info.filename in seen:
                raise BadInput(source, f"holds the member {info.filename!r} twice")
            seen.add(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise BadInput(source, f"holds a link, {info.filename!r}; links are refused")
        yield archive


def _read_small(archive: zipfile.ZipFile, source: str, name: str, limit: int) -> bytes:
    try:
        with archive.open(name) as handle:
            data = handle.read(limit + 1)
    except KeyError:
        raise BadInput(source, f"has no {name}: it is not a panel_desk backup") from None
    except Exception as exc:  # zlib.error, BadZipFile, EOFError: a damaged archive
        raise BadInput(source, f"member {name!r} cannot be read ({exc})") from None
    if len(data) > limit:
        raise BadInput(source, f"member {name!r} is larger than allowed")
    return data


def _entry(source: str, value: Any, what: str) -> dict[str, Any]:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("sha256"), str)
        or len(value["sha256"]) != 64
        or not isinstance(value.get("size"), int)
        or isinstance(value.get("size"), bool)
        or value["size"] < 0
    ):
        raise BadInput(source, f"its manifest describes {what} wrongly")
    return value


def read_manifest(
    archive: zipfile.ZipFile, source: str, fmt: str, version: int, free_bytes: int
) -> dict[str, Any]:
    """The checked manifest: its format, every entry, and the member set it must match."""
    raw = _read_small(archive, source, MANIFEST, MAX_MANIFEST_BYTES)
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(source, f"its manifest.json is malformed ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise BadInput(source, "is not a panel_desk backup (its manifest says otherwise)")
    found = manifest.get("version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise BadInput(source, f"its manifest has no valid version ({found!r})")
    if found > version:
        raise BadInput(source, f"is a version {found} backup; update panel_desk to restore it")
    _entry(source, manifest.get("database"), "the database")
    documents = manifest.get("documents")
    audit = manifest.get("audit")
    if not isinstance(documents, list) or not isinstance(audit, dict):
        raise BadInput(source, "its manifest lacks its documents or its audit head")
    expected = {MANIFEST, DATABASE}
    for document in documents:
        _entry(source, document, "a document")
        path = document.get("path")
        if not isinstance(path, str) or path != f"{document['sha256'][:2]}/{document['sha256']}":
            raise BadInput(source, f"its manifest names a document wrongly: {path!r}")
        expected.add(f"blobs/{path}")
    names = set(archive.namelist())
    if names - expected:
        raise BadInput(source, f"holds {sorted(names - expected)[0]!r}, which is not listed")
    if expected - names:
        raise BadInput(source, f"lacks {sorted(expected - names)[0]!r}, which it lists")
    needed = manifest["database"]["size"] + sum(d["size"] for d in documents)
    if needed > free_bytes:
        raise BadInput(
            source, f"needs {needed:,} bytes unpacked, more than the {free_bytes:,} free here"
        )
    return manifest


def copy_member(
    archive: zipfile.ZipFile, source: str, name: str, target: Path, entry: dict[str, Any]
) -> None:
    """Stream one member to `target`, stopping at its declared size; its hash must match."""
    digest = hashlib.sha256()
    written = 0
    limit = entry["size"]
    try:
        with archive.open(name) as handle, target.open("wb") as out:
            while chunk := handle.read(min(_CHUNK, limit - written + 1)):
                written += len(chunk)
                if written > limit:
                    raise BadInput(source, f"member {name!r} is larger than its manifest says")
                digest.update(chunk)
                out.write(chunk)
    except BadInput:
        raise
    except Exception as exc:  # zlib.error, BadZipFile (CRC), EOFError: a damaged archive
        raise BadInput(source, f"member {name!r} cannot be read ({exc})") from None
    if written != limit or digest.hexdigest() != entry["sha256"]:
        raise BadInput(source, f"member {name!r} does not match its hash in the manifest")
