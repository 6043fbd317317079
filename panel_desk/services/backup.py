"""Backups of a panel_desk database and its document store, and restoring one safely.

A backup file (`.pdbackup`, any name works) is a zip archive:

    manifest.json          what the backup holds (below)
    database.sqlite        a snapshot taken with SQLite's online backup API
    blobs/ab/abcdef…       every document the snapshot refers to, named by its SHA-256

manifest.json: {"format": "panel_desk-backup", "version": 1, "made_at", "panel_desk"
(version), "source" (the database's file name), "schema" (Alembic revision), "database":
{"sha256", "size"}, "audit": {"events", "head", "intact", "broken_at", "seal"}, "documents":
[{"path", "sha256", "size"}], "missing": [documents the store lacked when the backup was
made]}. The audit head written here is an outside record of the trail at that moment.

The snapshot is taken by SQLite's backup API, which reads one consistent state of the
database (WAL included) while the app goes on working, so a backup needs no downtime.
Documents are content-addressed and never change once stored, so copying them after the
snapshot is safe; each is hashed as it is copied.

Restoring checks everything before touching the target: the archive (no member named with
`..` or an absolute path, no links, no duplicates, nothing but what the manifest lists,
sizes as declared and within the free disk space), each member's hash, `PRAGMA
integrity_check`, a schema this panel_desk knows, and an intact audit chain whose head is
the manifest's. Any failure is BadInput and nothing has changed. Only then is the current
database copied aside (`NAME.before-restore-STAMP.bak`), the snapshot written over it with
the backup API (safe even while another process has it open), the documents added to the
store, and a `database.restored` event recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from panel_desk import __version__
from panel_desk.errors import BadInput
from panel_desk.paths import default_database_path
from panel_desk.services import audit
from panel_desk.services.backup_archive import (
    DATABASE,
    MANIFEST,
    copy_member,
    open_archive,
    read_manifest,
)
from panel_desk.services.progress import Progress, no_progress
from panel_desk.store.blobs import BlobStore
from panel_desk.store.database import Database, blob_root
from panel_desk.store.engine import database_url, sqlite_path
from panel_desk.store.migrate import alembic_config

FORMAT = "panel_desk-backup"
VERSION = 1


@dataclass(frozen=True)
class BackupResult:
    path: Path
    events: int
    head: str
    intact: bool
    documents: int
    size: int
    missing: tuple[str, ...]

    def __str__(self) -> str:
        trail = "intact" if self.intact else "NOT intact"
        return (
            f"backup written to {self.path}: {self.documents} documents, {self.events} audit "
            f"events (trail {trail}, head {self.head[:16]}…), {self.size:,} bytes"
        )


@contextmanager
def _scratch(beside: Path) -> Iterator[Path]:
    """A private folder on the same file system as `beside`, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=".panel-desk-", dir=beside))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def snapshot(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (WAL included)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def database_target(db: str | None) -> tuple[str, Path | None]:
    """The URL for what the user gave as --db (the default database when None), and the
    SQLite file behind it (None for other engines)."""
    url = database_url(db if db is not None else default_database_path())
    return url, sqlite_path(url)


def _sqlite_file(db: Database) -> Path:
    if db.path is None:
        raise BadInput(
            db.display_name,
            "is not a SQLite file: back up a PostgreSQL hub with pg_dump (and its "
            "document store, see README)",
        )
    return db.path


def make_backup(db: Database, out: Path, progress: Progress = no_progress) -> BackupResult:
    """Write a backup of `db` (database and documents) to `out`, atomically; Cancelled
    raised by `progress` leaves nothing behind."""
    source = _sqlite_file(db)
    if out.exists():
        raise BadInput(str(out), "already exists; give a new file name")
    if not out.parent.is_dir():
        raise BadInput(str(out), f"cannot be written: there is no folder {out.parent}")
    with _scratch(out.parent) as work:
        copy = work / DATABASE
        progress(0, 1, "Taking a snapshot of the database")
        snapshot(source, copy)
        copied = Database(f"sqlite:///{copy}", migrate=False)
        try:
            report = copied.read(audit.verify_chain)
            with copied.engine.connect() as connection:
                schema = connection.exec_driver_sql(
                    "SELECT version_num FROM alembic_version"
                ).scalar()
                documents = sorted(
                    set(
                        connection.exec_driver_sql(
                            "SELECT blob_path, sha256, size FROM document"
                        ).all()
                    )
                )
        finally:
            copied.close()
        partial = work / "backup.zip"
        listed: list[dict[str, Any]] = []
        missing: list[str] = []
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            progress(0, len(documents) + 1, "Writing the database into the backup")
            archive.write(copy, DATABASE, compress_type=zipfile.ZIP_DEFLATED)
            for number, (relative, sha, size) in enumerate(documents, 1):
                if number % 20 == 0:
                    progress(number, len(documents) + 1, f"Copying documents ({number:,})")
                blob = db.blobs.path(relative)
                if not blob.is_file() or _file_sha256(blob) != sha:
                    missing.append(relative)
                    continue
                archive.write(blob, f"blobs/{relative}", compress_type=zipfile.ZIP_STORED)
                listed.append({"path": relative, "sha256": sha, "size": size})
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "made_at": datetime.now(UTC).isoformat(),
                "panel_desk": __version__,
                "source": source.name,
                "schema": schema,
                "database": {"sha256": _file_sha256(copy), "size": copy.stat().st_size},
                "audit": {
                    "events": report.events,
                    "head": report.head_hash,
                    "intact": report.intact,
                    "broken_at": report.broken_at,
                    "seal": report.seal,
                },
                "documents": listed,
                "missing": missing,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2), zipfile.ZIP_DEFLATED)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(out)
    return BackupResult(
        out,
        report.events,
        report.head_hash,
        report.intact,
        len(listed),
        out.stat().st_size,
        tuple(missing),
    )


# --- restoring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    target: Path
    events: int
    documents: int
    previous: Path | None  # the copy of what the target held before

    def __str__(self) -> str:
        kept = f"; what it held before is kept at {self.previous}" if self.previous else ""
        return (
            f"restored into {self.target}: {self.events} audit events, "
            f"{self.documents} documents{kept}"
        )


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory  # only when restoring: slow to import

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def _check_database(source: str, path: Path, manifest: dict[str, Any]) -> int:
    """integrity, schema and audit chain of an extracted snapshot; returns its event count."""
    try:
        connection = sqlite3.connect(path)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchall()
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
            revision = (
                connection.execute("SELECT version_num FROM alembic_version").fetchone()
                if "alembic_version" in tables
                else None
            )
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BadInput(source, f"its database is damaged or not SQLite ({exc})") from None
    if result != [("ok",)]:
        raise BadInput(source, f"its database is damaged (integrity check: {result[0][0]})")
    if revision is None:
        raise BadInput(source, "its database is not a panel_desk database (no schema revision)")
    if revision[0] not in _known_revisions():
        raise BadInput(
            source, f"its database has schema {revision[0]}, unknown to this panel_desk (newer?)"
        )
    try:
        restored = Database(f"sqlite:///{path}")  # brings an older schema up to head
    except Exception as exc:  # a migration failing on odd content: refuse, change nothing
        raise BadInput(source, f"its database cannot be upgraded ({exc})") from None
    try:
        report = restored.read(audit.verify_chain)
    finally:
        restored.close()
    if not report.intact:
        raise BadInput(
            source, f"its audit trail is broken at event {report.broken_at}: {report.problem}"
        )
    recorded = manifest["audit"]
    if (report.events, report.head_hash) != (recorded.get("events"), recorded.get("head")):
        raise BadInput(source, "its audit trail does not end where its manifest says")
    return report.events


def _keep_aside(target: Path) -> Path | None:
    if not target.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.before-restore-{stamp}.bak")
    try:
        snapshot(target, aside)
    except sqlite3.DatabaseError:
        aside.unlink(missing_ok=True)
        shutil.copyfile(target, aside)  # not a database we can read: keep its bytes
    return aside


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds, once checked whole: for asking before restoring it."""

    path: Path
    made_at: str
    source: str
    events: int
    documents: int


def _checked(archive: zipfile.ZipFile, source: str, work: Path) -> tuple[dict[str, Any], int]:
    """Every check of a backup, its database and documents extracted into `work`: the
    manifest and the number of audit events. BadInput on the first failure."""
    manifest = read_manifest(archive, source, FORMAT, VERSION, shutil.disk_usage(work).free)
    extracted = work / DATABASE
    copy_member(archive, source, DATABASE, extracted, manifest["database"])
    events = _check_database(source, extracted, manifest)
    staged = BlobStore(work / "blobs")
    for document in manifest["documents"]:
        destination = staged.path(document["path"])
        destination.parent.mkdir(parents=True, exist_ok=True)
        copy_member(archive, source, f"blobs/{document['path']}", destination, document)
    return manifest, events


def verify_backup(backup: Path, progress: Progress = no_progress) -> BackupSummary:
    """Check `backup` whole, as restoring it would, changing nothing anywhere."""
    progress(0, 1, f"Checking {backup.name}")
    with open_archive(backup) as archive, _scratch(Path(tempfile.gettempdir())) as work:
        manifest, events = _checked(archive, str(backup), work)
    progress(1, 1, "Backup checked")
    return BackupSummary(
        backup,
        str(manifest.get("made_at") or ""),
        str(manifest.get("source") or ""),
        events,
        len(manifest["documents"]),
    )


def restore_backup(backup: Path, target_url: str, actor: str = audit.SYSTEM) -> RestoreResult:
    """Check `backup` whole, then make the database at `target_url` hold what it holds."""
    source = str(backup)
    target = sqlite_path(target_url)
    if target is None:
        raise BadInput(
            "--db",
            "restore writes a SQLite file; give its path (restore a PostgreSQL hub "
            "with pg_restore)",
        )
    if target.is_dir():
        raise BadInput(str(target), "is a folder, not a database file")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open_archive(backup) as archive, _scratch(target.parent) as work:
        manifest, events = _checked(archive, source, work)
        extracted, staged = work / DATABASE, BlobStore(work / "blobs")
        # Everything holds: from here on the target changes.
        previous = _keep_aside(target)
        snapshot(extracted, target)
        store = BlobStore(blob_root(target_url))
        for document in manifest["documents"]:
            store.put_file(staged.path(document["path"]), document["sha256"])
    restored = Database(target_url)
    try:
        with restored.transaction() as session:
            audit.record(
                session,
                actor,
                "database.restored",
                "database",
                target.name,
                {
                    "backup": backup.name,
                    "made_at": manifest.get("made_at"),
                    "head": manifest["audit"]["head"],
                    "previous": previous.name if previous else None,
                },
            )
    finally:
        restored.close()
    return RestoreResult(target, events + 1, len(manifest["documents"]), previous)
