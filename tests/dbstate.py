"""Fingerprints of a database's whole content, to prove that bad input changed nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select

from panel_desk.services.database import Database
from panel_desk.store.database import blob_root
from panel_desk.store.engine import sqlite_path


def fingerprint(where: Path | str | Database) -> str:
    """A digest of every row of every table, and of the document store's file list.

    `where` is a SQLite file, a database URL (a PostgreSQL hub: read through SQLAlchemy's
    reflection, every table in primary-key order) or an open Database."""
    if isinstance(where, Database):
        where = where.path if where.path is not None else where.url
    text = os.fspath(where)
    if "://" in text and sqlite_path(text) is None:
        dump = _reflected_dump(text)
        blobs = blob_root(text)
    else:
        path = sqlite_path(text) if "://" in text else Path(text)
        assert path is not None
        connection = sqlite3.connect(path)
        try:
            dump = "\n".join(connection.iterdump())
        finally:
            connection.close()
        blobs = path.with_name(path.name + ".blobs")
    files = sorted(str(p.relative_to(blobs)) for p in blobs.rglob("*")) if blobs.exists() else []
    return hashlib.sha256((dump + "\n".join(files)).encode()).hexdigest()


def _reflected_dump(url: str) -> str:
    """Every row of every table (sequences left out: a rolled-back insert still moves them,
    and what counts is that no row changed)."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        lines = []
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                lines.append(f"-- {table.name}: {', '.join(table.columns.keys())}")
                lines.extend(
                    repr(tuple(row)) for row in connection.execute(select(table).order_by(*order))
                )
        return "\n".join(lines)
    finally:
        engine.dispose()


def behind_the_back(where: Path | str, *statements: str) -> list[tuple]:
    """Run SQL on the database behind the application's back, as someone with sqlite3 or
    psql could, and commit; returns the last statement's rows (none for a change)."""
    text = os.fspath(where)
    engine = create_engine(text if "://" in text else f"sqlite:///{text}")
    try:
        rows: list[tuple] = []
        with engine.begin() as connection:
            for statement in statements:
                result = connection.exec_driver_sql(statement)
                rows = [tuple(r) for r in result] if result.returns_rows else []
        return rows
    finally:
        engine.dispose()
