"""A database panel_desk works on: engine, sessions, schema at head, document store.

Opening one upgrades its schema (see migrate.py). Work happens in `transaction()` (all or
nothing, and the writer's lock taken up front: BEGIN IMMEDIATE on SQLite, an advisory lock
on PostgreSQL, see engine.py) or `reading()`; `run` and `read`
wrap a service function in one of them, which is how the GUI calls services without ever
holding a session itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from panel_desk.paths import user_data_dir
from panel_desk.store.blobs import BlobStore
from panel_desk.store.engine import (
    WRITER_LOCK,
    create_database_engine,
    reader_options,
    sqlite_path,
    writer_options,
)
from panel_desk.store.migrate import upgrade_to_head

P = ParamSpec("P")
T = TypeVar("T")


def blob_root(url: str) -> Path:
    path = sqlite_path(url)
    if path is not None:
        return path.with_name(path.name + ".blobs")
    return user_data_dir() / "blobs" / hashlib.sha256(url.encode()).hexdigest()[:16]


class Database:
    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self.engine = create_database_engine(url)
        self.migration_backup = upgrade_to_head(self.engine) if migrate else None
        self.blobs = BlobStore(blob_root(url))
        info = {"blobs": self.blobs}
        self._writer = sessionmaker(
            self.engine.execution_options(**writer_options(self.engine)),
            expire_on_commit=False,
            info=info,
        )
        self._reader = sessionmaker(
            self.engine.execution_options(**reader_options(self.engine)),
            expire_on_commit=False,
            info=info,
        )

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return str(self.path)
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on any error."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; it sees one consistent snapshot and never commits."""
        with self._reader() as session, session.begin():
            yield session
            # Detach what was read before ending the transaction: a rollback expires every
            # object still in the session, and the caller could then read none of them.
            session.expunge_all()
            session.rollback()

    def run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kw: P.kwargs) -> T:
        with self.transaction() as session:
            return fn(session, *args, **kw)

    def read(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kw: P.kwargs) -> T:
        with self.reading() as session:
            return fn(session, *args, **kw)

    def close(self) -> None:
        self.engine.dispose()


def blobs_of(session: Session) -> BlobStore:
    """The document store of the database this session belongs to."""
    return session.info["blobs"]


def hold_writer_lock(session: Session) -> None:
    """Make sure this transaction holds the writer's lock before it reads what it will
    append to (the audit chain's last event). `transaction()` already took it; this covers
    a writer that began some other way. A no-op on SQLite, where a writer holds the file's
    lock from its first write and a second one cannot even start writing."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")
