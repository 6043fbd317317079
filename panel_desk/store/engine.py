"""Engines for the databases panel_desk works on: a SQLite file by default, or a shared hub
on PostgreSQL (`postgresql+psycopg://user:password@host/database`).

SQLite gets WAL (readers never block the writer, a crash never corrupts), foreign keys,
a busy timeout, and real transactions: pysqlite's own transaction handling starts them
late and lets SELECTs run outside them, so we issue BEGIN ourselves, and BEGIN IMMEDIATE
for write transactions so two writers queue instead of failing half-way.

PostgreSQL gets the same rule by other means: a write transaction first takes a
transaction-scoped advisory lock (`pg_advisory_xact_lock`), so writers to one hub queue
as they do on SQLite and every service keeps the "read, check, then write" it was written
with, e.g. two secretariat users importing returns at once never chain audit events to
the same previous event. Writers run at READ COMMITTED so that each statement after the
lock sees what the writer before committed; readers get REPEATABLE READ, one snapshot for
the whole read, as on SQLite. Readers never wait for writers.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from panel_desk.errors import BadInput

WRITE = {"sqlite_begin": "IMMEDIATE", "panel_desk_writer": True}
"""Execution options for a connection that will write (see module docstring)."""

WRITER_LOCK = 0x7061_6E65_6C01
"""The advisory lock key a PostgreSQL write transaction takes (per database)."""
MIGRATION_LOCK = 0x7061_6E65_6C02
"""The advisory lock key held while a PostgreSQL hub's schema is upgraded."""

# Network file systems on which SQLite's WAL mode is unsafe (sqlite.org/wal.html).
_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb", "smbfs", "smb3", "fuse.sshfs", "9p", "afs"}


def database_url(db: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for what the user passed as --db: a URL as it is, a path as SQLite."""
    text = os.fspath(db)
    if "://" in text:
        try:
            make_url(text)
        except Exception as exc:  # sqlalchemy raises ArgumentError; the message is enough
            raise BadInput("--db", f"not a database URL: {exc}") from None
        return text
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise BadInput(str(path), "is a folder, not a database file")
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def filesystem_type(path: Path) -> str:
    """The file system type the folder holding `path` lives on ('' when unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    target = str(path.resolve().parent)
    best, best_type = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and target.startswith(parts[1]) and len(parts[1]) > len(best):
            best, best_type = parts[1], parts[2]
    return best_type


def on_network_share(path: Path) -> bool:
    return filesystem_type(path) in _NETWORK_FS


def is_postgresql(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "postgresql"


def writer_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a write transaction on `engine` (see module docstring)."""
    if is_postgresql(engine):
        return {**WRITE, "isolation_level": "READ COMMITTED"}
    return WRITE


def reader_options(engine: Engine) -> dict[str, Any]:
    """Execution options for a read-only transaction on `engine`: one snapshot."""
    return {"isolation_level": "REPEATABLE READ"} if is_postgresql(engine) else {}


def create_database_engine(url: str, **kwargs: Any) -> Engine:
    """The engine for `url`, set up as the module docstring says."""
    path = sqlite_path(url)
    if is_postgresql(url):
        return _postgresql_engine(url, **kwargs)
    if path is None:
        return create_engine(url, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgresql_engine(url: str, **kwargs: Any) -> Engine:
    # A hub's connections can sit idle in a pool for hours while the GUI is open, and the
    # server may restart meanwhile: check each before use.
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = {"application_name": "panel_desk", **kwargs.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get("panel_desk_writer"):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")

    return engine
