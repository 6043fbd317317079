"""Writing and reading many rows at the database driver's own speed, inside the caller's
transaction.

A return import writes hundreds of thousands of scores. SQLAlchemy's executemany spends
about as long on each row's parameters as SQLite spends storing it (STYLE.md: raw
executemany 0.3 s, Core 0.6 s, ORM bulk 1.2 s per 100,000 rows), so on SQLite the rows go
to the driver's executemany as tuples, each value first passed through its column type's
bind processor (a datetime becomes the text SQLAlchemy itself would have stored). Other
databases get Core's executemany, which their drivers batch well.

Reading is the same story the other way: SQLAlchemy makes a Row for every row read (2.5 µs
each; 50 ms for a 20,000-submission round's listing, twice what SQLite takes), so
`fetch_rows` hands the compiled query to the driver and returns its plain tuples. Only for
queries whose columns need no result processing (integers, text, floats).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Executable, Table, insert
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
    processors = _processors(table, columns, connection.dialect, ready)
    if any(processors):
        rows = _processed(rows, processors)
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    connection.exec_driver_sql(statement, rows if isinstance(rows, list) else list(rows))


def stored_values(
    table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], ready: Collection[str] = ()
) -> list[tuple[Any, ...]]:
    """`rows` with each value as SQLite stores it in `table`'s column: what insert_rows
    sends to the driver, for a worker staging rows in a database of its own (the hub's
    own columns only; others, and those in `ready`, pass as they are)."""
    processors = _processors(table, columns, _sqlite(), ready)
    return _processed(rows, processors) if any(processors) else [tuple(r) for r in rows]


def _processors(
    table: Table, columns: Sequence[str], dialect: Dialect, ready: Collection[str]
) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor (None for those in `ready` and those not in `table`)."""
    return [
        table.c[name].type._cached_bind_processor(dialect)
        if name in table.c and name not in ready
        else None
        for name in columns
    ]


@functools.cache
def _sqlite() -> Dialect:
    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    return SQLiteDialect_pysqlite()


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


def fetch_rows(session: Session, query: Executable) -> list[tuple[Any, ...]]:
    """The rows of `query` as the driver returns them (see the module doc for when)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return [tuple(row) for row in connection.execute(query)]
    # Expanding parameters (IN lists) rendered as plain placeholders; a query whose
    # parameters need their type's processing goes the usual way.
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    if compiled._bind_processors:
        return [tuple(row) for row in connection.execute(query)]
    params = compiled.construct_params()
    values = tuple(params[name] for name in compiled.positiontup or ())
    # Through the connection, so events see the statement; the rows straight off the cursor.
    result = connection.exec_driver_sql(str(compiled), values)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
