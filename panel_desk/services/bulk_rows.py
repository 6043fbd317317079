"""Inserting many rows at the database driver's own speed, inside the caller's transaction.

A return import writes hundreds of thousands of scores. SQLAlchemy's executemany spends
about as long on each row's parameters as SQLite spends storing it (STYLE.md: raw
executemany 0.3 s, Core 0.6 s, ORM bulk 1.2 s per 100,000 rows), so on SQLite the rows go
to the driver's executemany as tuples, each value first passed through its column type's
bind processor (a datetime becomes the text SQLAlchemy itself would have stored). Other
databases get Core's executemany, which their drivers batch well.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

CHUNK = 50_000


def insert_rows(
    session: Session | Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    ready: Collection[str] = (),
) -> None:
    """INSERT `rows` (tuples in the order of `columns`) into `table`. Values of the
    columns named in `ready` are already what the driver stores (a float for a Float)."""
    if not rows:
        return
    connection = session.connection() if isinstance(session, Session) else session
    if connection.dialect.name != "sqlite":
        for start in range(0, len(rows), CHUNK):
            connection.execute(
                insert(table),
                [dict(zip(columns, row, strict=True)) for row in rows[start : start + CHUNK]],
            )
        return
    processors = [table.c[name].type._cached_bind_processor(connection.dialect) for name in columns]
    if any(processors):
        rows = _processed(rows, processors)
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    connection.exec_driver_sql(statement, rows if isinstance(rows, list) else list(rows))


def _processed(
    rows: Sequence[Sequence[Any]], processors: list[Callable[[Any], Any] | None]
) -> list[tuple[Any, ...]]:
    """Rows with each value through its column's processor. Many rows share a value (a
    return's reviews were made in the same moment), so each distinct value is processed
    once per column."""
    active = [(i, p, {}) for i, p in enumerate(processors) if p is not None]
    done = []
    for row in rows:
        values = list(row)
        for i, process, memo in active:
            value = values[i]
            if value is None:
                continue
            found = memo.get(value)
            if found is None:
                found = memo[value] = process(value)
            values[i] = found
        done.append(tuple(values))
    return done
