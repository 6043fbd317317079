"""Engines for the databases panel_desk works on: a SQLite file by default, any SQLAlchemy URL.

SQLite gets WAL (readers never block the writer, a crash never corrupts), foreign keys,
a busy timeout, and real transactions: pysqlite's own transaction handling starts them
late and lets SELECTs run outside them, so we issue BEGIN ourselves, and BEGIN IMMEDIATE
for write transactions so two writers queue instead of failing half-way.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from panel_desk.errors import BadInput

WRITE = {"sqlite_begin": "IMMEDIATE"}
"""Execution options for a connection that will write (see module docstring)."""

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


def create_database_engine(url: str, **kwargs: Any) -> Engine:
    """The engine for `url`, with SQLite set up as the module docstring says."""
    path = sqlite_path(url)
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
