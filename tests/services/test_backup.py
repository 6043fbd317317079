"""Backups: taken while the app works, restored only after every check holds, and a hostile or
damaged backup file refused with nothing changed."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from panel_desk.services import audit, backup
from panel_desk.services.database import Database, open_database
from tests.dbstate import fingerprint


def _content(path: Path, skip: tuple[str, ...] = ("audit_event", "audit_concern", "audit_head")):
    """Every row of every table but those named, to compare two databases' content."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] not in skip
        ]
        return {t: sorted(map(repr, connection.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    finally:
        connection.close()


@pytest.fixture
def backup_file(demo_path: Path, tmp_path: Path) -> Path:
    db = open_database(demo_path)
    try:
        result = db_backup = backup.make_backup(db, tmp_path / "demo.pdbackup")
    finally:
        db.close()
    assert db_backup.intact and result.documents > 50 and not result.missing
    return result.path


def test_a_backup_restores_to_the_same_content_and_documents(
    demo_path: Path, backup_file: Path, tmp_path: Path, run_cli
) -> None:
    target = tmp_path / "restored" / "hub.sqlite"

    code, out, err = run_cli("restore", backup_file, "--db", target)

    assert (code, err) == (0, "")
    assert f"restored into {target}" in out
    assert _content(target) == _content(demo_path)
    original = sorted(p.name for p in (demo_path.parent / "demo.sqlite.blobs").rglob("*"))
    restored = sorted(p.name for p in (target.parent / "hub.sqlite.blobs").rglob("*"))
    assert restored == original
    for blob in (target.parent / "hub.sqlite.blobs").rglob("*"):
        if blob.is_file():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    db = open_database(target)
    try:
        report = db.read(audit.verify_chain)
        last = db.read(lambda s: audit.verify_chain(s).events)
    finally:
        db.close()
    manifest = json.loads(zipfile.ZipFile(backup_file).read("manifest.json"))
    assert report.intact and report.seal == audit.SEAL_CHECKED
    assert last == manifest["audit"]["events"] + 1, "the restore itself is recorded"
    assert not list(target.parent.glob(".panel-desk-*")), "no scratch folder left behind"


def test_the_cli_writes_a_backup_and_refuses_to_overwrite(
    demo_path: Path, tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "b.pdbackup"

    code, text, err = run_cli("backup", "--out", out, "--db", demo_path)
    assert (code, err) == (0, "")
    assert "backup written to" in text and "trail intact" in text
    names = zipfile.ZipFile(out).namelist()
    assert names[0] == "database.sqlite" and names[-1] == "manifest.json"
    assert all(n.startswith("blobs/") for n in names[1:-1])

    before = out.read_bytes()
    code, _, err = run_cli("backup", "--out", out, "--db", demo_path)
    assert code == 2 and "already exists" in err and out.read_bytes() == before
    code, _, err = run_cli("backup", "--out", tmp_path / "no" / "b.zip", "--db", demo_path)
    assert code == 2 and "there is no folder" in err
    code, _, err = run_cli("backup", "--out", tmp_path / "c.zip", "--db", tmp_path / "none.db")
    assert code == 2 and "no such database" in err and not (tmp_path / "none.db").exists()


def test_restore_over_a_database_keeps_it_aside(
    demo_path: Path, backup_file: Path, empty_db: Database, run_cli
) -> None:
    target = empty_db.path
    assert target is not None
    before = _content(target)

    code, out, _ = run_cli("restore", backup_file, "--db", target)

    assert code == 0 and "what it held before is kept at" in out
    aside = next(target.parent.glob("hub.sqlite.before-restore-*.bak"))
    assert _content(aside) == before
    assert _content(target) == _content(demo_path)
    report = empty_db.read(audit.verify_chain)  # the open Database sees the restored file
    assert report.intact and report.events > 100


def test_backups_taken_while_the_app_writes_are_consistent(demo_path: Path, tmp_path: Path) -> None:
    writer_db = open_database(demo_path)
    stop = threading.Event()
    written = [0]

    def keep_writing() -> None:
        while not stop.is_set() and written[0] < 2000:
            with writer_db.transaction() as session:
                audit.record(session, "w@x.org", "test.tick", "round", "GW-2026-01", {"n": 1})
            written[0] += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    results = []
    try:
        for n in range(3):
            db = open_database(demo_path)
            try:
                results.append(backup.make_backup(db, tmp_path / f"live-{n}.pdbackup"))
            finally:
                db.close()
    finally:
        stop.set()
        thread.join()
        writer_db.close()

    assert written[0] > 0 and all(r.intact for r in results)
    assert len({r.events for r in results}) > 1, "the writer moved on between backups"
    for n, result in enumerate(results):
        code = backup.restore_backup(result.path, f"sqlite:///{tmp_path / f'r{n}.sqlite'}")
        assert code.events == result.events + 1


# --- hostile and damaged backup files ---------------------------------------------------------


def _rewrite(
    source: Path,
    target: Path,
    change: Callable[[dict[str, bytes], dict], None],
    extra: list[zipfile.ZipInfo | tuple[zipfile.ZipInfo, bytes]] | None = None,
) -> Path:
    """A copy of a backup with its members (name → bytes) and manifest changed by `change`."""
    with zipfile.ZipFile(source) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for item in extra or []:
            info, data = item if isinstance(item, tuple) else (item, b"x")
            archive.writestr(info, data)
        archive.writestr("manifest.json", json.dumps(manifest))
    return target


def _edit_database(members: dict[str, bytes], manifest: dict, *statements: str) -> None:
    """Change the database inside the backup and make the manifest agree with it."""
    scratch = Path(__import__("tempfile").mkdtemp()) / "db.sqlite"
    scratch.write_bytes(members["database.sqlite"])
    connection = sqlite3.connect(scratch)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    _set_database(members, manifest, scratch.read_bytes())


def _set_database(members: dict[str, bytes], manifest: dict, data: bytes) -> None:
    members["database.sqlite"] = data
    manifest["database"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _first_blob(members: dict[str, bytes]) -> str:
    return next(n for n in members if n.startswith("blobs/"))


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _corrupt_pages(members: dict[str, bytes], manifest: dict) -> None:
    data = bytearray(members["database.sqlite"])
    for offset in range(4096 * 3, len(data) - 4096, 4096 * 5):
        data[offset + 100 : offset + 400] = b"\xff" * 300
    _set_database(members, manifest, bytes(data))


HOSTILE = {
    "a member climbing out with ..": (
        lambda m, f: None,
        [zipfile.ZipInfo("blobs/../../evil.txt")],
        "unsafe name",
    ),
    "an absolute member": (lambda m, f: None, [zipfile.ZipInfo("/etc/evil")], "unsafe name"),
    "a symlink member": (lambda m, f: None, [_link("blobs/ab/link")], "links are refused"),
    "an unlisted member": (lambda m, f: None, [zipfile.ZipInfo("extra.txt")], "not listed"),
    "a listed document missing": (
        lambda m, f: m.pop(_first_blob(m)),
        None,
        "which it lists",
    ),
    "a document changed": (
        lambda m, f: m.__setitem__(_first_blob(m), b"%PDF-1.4 forged"),
        None,
        "does not match its hash",
    ),
    "the database changed": (
        lambda m, f: m.__setitem__("database.sqlite", m["database.sqlite"][:-1] + b"\x01"),
        None,
        "does not match its hash",
    ),
    "a member larger than declared (bomb)": (
        lambda m, f: m.__setitem__(_first_blob(m), m[_first_blob(m)] * 50_000),
        None,
        "larger than its manifest says",
    ),
    "sizes beyond the free disk": (
        lambda m, f: f["database"].__setitem__("size", 1 << 60),
        None,
        "free here",
    ),
    "a corrupt database": (_corrupt_pages, None, "its database is damaged"),
    "an unknown schema": (
        lambda m, f: _edit_database(m, f, "UPDATE alembic_version SET version_num = '9999'"),
        None,
        "unknown to this panel_desk",
    ),
    "a tampered audit trail": (
        lambda m, f: _edit_database(m, f, "UPDATE audit_event SET actor = 'x' WHERE seq = 9"),
        None,
        "audit trail is broken at event 9",
    ),
    "the last event removed": (
        lambda m, f: _edit_database(
            m, f, "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)"
        ),
        None,
        "removed from the end",
    ),
    "a manifest head that differs": (
        lambda m, f: f["audit"].__setitem__("head", "0" * 64),
        None,
        "does not end where its manifest says",
    ),
    "a newer format version": (
        lambda m, f: f.__setitem__("version", 2),
        None,
        "update panel_desk",
    ),
    "another kind of file": (
        lambda m, f: f.__setitem__("format", "something-else"),
        None,
        "not a panel_desk backup",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_or_damaged_backup_is_refused_and_nothing_changes(
    case: str, backup_file: Path, empty_db: Database, tmp_path: Path, run_cli
) -> None:
    change, extra, message = HOSTILE[case]
    bad = _rewrite(backup_file, tmp_path / "bad.pdbackup", change, extra)
    target = empty_db.path
    assert target is not None
    before = fingerprint(target)
    files_before = sorted(p.name for p in target.parent.iterdir())

    code, out, err = run_cli("restore", bad, "--db", target)

    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert fingerprint(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == files_before


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "not a zip"), (b"PK\x03\x04garbage", "not a zip"), (None, "no such file")],
    ids=["empty", "garbage", "missing"],
)
def test_a_file_that_is_no_backup_is_refused(
    content: bytes | None, message: str, tmp_path: Path, run_cli
) -> None:
    path = tmp_path / "x.pdbackup"
    if content is not None:
        path.write_bytes(content)
    target = tmp_path / "target.sqlite"

    code, _, err = run_cli("restore", path, "--db", target)

    assert code == 2 and message in err
    assert not target.exists()


def test_a_zip_without_a_manifest_is_refused(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("database.sqlite", b"")

    code, _, err = run_cli("restore", path, "--db", tmp_path / "t.sqlite")

    assert code == 2 and "has no manifest.json" in err
