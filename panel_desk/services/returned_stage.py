"""Scores a worker process staged, copied into the hub's score table by SQL.

When a big batch of returns is read in a second process (exchange/return_reading.py), the
scores of a return the worker found well formed never come back to this process: the worker
writes them to a segment of its own (a scratch SQLite file per slice of the batch) and hands
back the records without them. Once the version rules have given each version to write its
review id, one INSERT … SELECT per segment copies its scores across, inside the caller's
transaction: no Python object is made for any of a round's 800,000 scores, and SQLite
stores them ~40% faster than through executemany's per-row parameters.

A segment is attached to the transaction's connection, and stays attached until the
connection goes back to its pool (SQLite refuses DETACH inside a transaction): the pool's
checkin detaches it (`_detach_segments`). Only on SQLite; other databases read every
return in this process.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

ALIAS = "returned_segment_"
"""Attached segments are named ALIAS + their number."""
ATTACHED = "panel_desk.returned_segments"
"""Key in a pooled connection's info: the segments attached to it."""

VERSION_COLUMNS = (
    "version",
    "state",
    "recommendation",
    "conditions",
    "comment",
    "no_conflict_certified",
    "correction_reason",
    "created_at",
    "updated_at",
    "submitted_at",
)
"""A review version's own columns in the hub's review table (all but its id and assignment)."""

SEGMENT_SCHEMA = (
    "CREATE TABLE staged_version (id INTEGER PRIMARY KEY, "
    + ", ".join(VERSION_COLUMNS)
    + ", first_score INTEGER NOT NULL, last_score INTEGER NOT NULL)",
    "CREATE TABLE staged_score (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
    "value TEXT NOT NULL, comment TEXT NOT NULL)",
)
"""A version's columns as the hub's table stores them (the worker passes each value through
its column's type, as bulk_rows.insert_rows does), and its scores: the rows of a span of
ids, numbered by the worker as it goes, so both tables are appended to in order and read
by their primary keys alone."""
VERSION_INSERT = f"INSERT INTO staged_version VALUES ({', '.join('?' * 13)})"
SCORE_INSERT = "INSERT INTO staged_score (key, value, comment) VALUES (?, ?, ?)"
"""Without the id: SQLite numbers the rows of a table that is only appended to 1, 2, 3…,
as the worker counts them."""

_TEMP_TABLES = (
    "CREATE TEMP TABLE returned_map (segment INTEGER NOT NULL, row INTEGER NOT NULL, "
    "assignment_id INTEGER NOT NULL, round_id INTEGER NOT NULL, review_id INTEGER NOT NULL, "
    "PRIMARY KEY (segment, row)) WITHOUT ROWID",
    "CREATE TEMP TABLE returned_scale (round_id INTEGER NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, criterion_id INTEGER NOT NULL, points REAL, "
    "PRIMARY KEY (round_id, key, value)) WITHOUT ROWID",
)
_COPY_VERSIONS = f"""
INSERT INTO review (id, assignment_id, {", ".join(VERSION_COLUMNS)})
SELECT m.review_id, m.assignment_id, {", ".join("v." + c for c in VERSION_COLUMNS)}
FROM temp.returned_map AS m
CROSS JOIN {{segment}}.staged_version AS v ON v.id = m.row
WHERE m.segment = ?
ORDER BY m.segment, m.row
"""
_COPY_SCORES = """
INSERT INTO score (review_id, criterion_id, value, points, comment)
SELECT m.review_id, k.criterion_id, s.value, k.points, s.comment
FROM temp.returned_map AS m
CROSS JOIN {segment}.staged_version AS v ON v.id = m.row
CROSS JOIN {segment}.staged_score AS s ON s.id BETWEEN v.first_score AND v.last_score
LEFT JOIN temp.returned_scale AS k
    ON k.round_id = m.round_id AND k.key = s.key AND k.value = s.value
WHERE m.segment = ?
ORDER BY m.segment, m.row, s.id
"""
"""Rows are numbered in the order the worker read the returns, and the versions are given
their ids here in that order too: reviews and scores come out as executemany would have
written them. A (key, value) not on the round's scale would give a NULL criterion: refused
by the table, never written silently."""


class ReadInFull(Exception):
    """The return was read ahead without its scores, but needs them here (the hub holds
    versions of its reviews to compare them with): read it in this process."""


class StagedVersion(NamedTuple):
    """A review version the worker staged: what the version rules need of it here (its
    number and state), and its row in the segment, where the rest waits. It stands in a
    ReviewRecord's versions for a VersionRecord, read only by the staged path."""

    version: int
    state: str
    row: int


@dataclass(frozen=True)
class Staged:
    """The segment a return's versions and scores wait in."""

    segment: int


def open_segment(path: Path) -> sqlite3.Connection:
    """A new segment for a worker to write: scratch, so nothing is synced."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    for statement in SEGMENT_SCHEMA:
        connection.execute(statement)
    return connection


class StagedScores:
    """The versions given ids whose rows wait in segments, and copying them across.

    The copy runs in a thread of its own, on the transaction's connection, while this
    thread goes on applying the next segment's returns in Python: SQLite copies without
    holding Python's lock. Nothing else may use the connection meanwhile, so anything that
    does through SQLAlchemy (a statement, the commit or the rollback) first waits for the
    copy to end (`_watch`), and an error in the copy is raised there.
    """

    def __init__(self, segments: dict[int, Path]) -> None:
        self.segments = segments
        self._pending: list[tuple[int, int, int, int, int]] = []
        self._scales_for: set[int] = set()  # rounds whose scales are in returned_scale
        self._ready = False
        self._copy: threading.Thread | None = None
        self._failed: BaseException | None = None
        self._watched: Connection | None = None

    def add(
        self, segment: int, row: int, assignment_id: int, round_id: int, review_id: int
    ) -> None:
        self._pending.append((segment, row, assignment_id, round_id, review_id))

    def __len__(self) -> int:
        return len(self._pending)

    def write(self, session: Session, scales: dict[int, list[tuple[Any, ...]]]) -> None:
        """Start copying the pending versions and their scores. `scales`: round id →
        (key, value, criterion id, points) of every value a score may hold."""
        self.wait()
        if not self._pending:
            return
        connection = session.connection()
        if not self._ready:
            for name in ("returned_map", "returned_scale"):
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
            for statement in _TEMP_TABLES:
                connection.exec_driver_sql(statement)
            self._ready = True
        rounds = {row[3] for row in self._pending} - self._scales_for
        for round_id in sorted(rounds):
            connection.exec_driver_sql(
                "INSERT INTO temp.returned_scale VALUES (?, ?, ?, ?, ?)",
                [(round_id, *row) for row in scales[round_id]],
            )
        self._scales_for |= rounds
        connection.exec_driver_sql(
            "INSERT INTO temp.returned_map VALUES (?, ?, ?, ?, ?)", self._pending
        )
        statements: list[tuple[str, tuple[Any, ...]]] = []
        for segment in sorted({row[0] for row in self._pending}):
            alias = _attach(connection, segment, self.segments[segment])
            statements.append((_COPY_VERSIONS.format(segment=alias), (segment,)))
            statements.append((_COPY_SCORES.format(segment=alias), (segment,)))
        statements.append(("DELETE FROM temp.returned_map", ()))
        self._pending = []
        self._watch(connection)
        self._copy = threading.Thread(
            target=self._run,
            args=(connection.connection.dbapi_connection, statements),
            name="panel-desk-staged-copy",
            daemon=True,
        )
        self._copy.start()

    def _run(self, raw: Any, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        try:
            for statement, parameters in statements:
                raw.execute(statement, parameters)
        except BaseException as error:  # raised in the applying thread by wait()
            self._failed = error

    def wait(self) -> None:
        """Until the copy in hand is done; an error it met is raised here."""
        copy, self._copy = self._copy, None
        if copy is not None:
            copy.join()
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed

    def _watch(self, connection: Connection) -> None:
        if self._watched is None:
            self._watched = connection
            for name, listener in _LISTENERS:
                event.listen(connection, name, getattr(self, listener))

    def _before_statement(self, *_args: Any) -> None:
        self.wait()

    def _before_rollback(self, *_args: Any) -> None:
        with contextlib.suppress(BaseException):  # rolling back anyway
            self.wait()

    def close(self, session: Session) -> None:
        """The last copy waited for (its error raised), the temporary tables dropped (the
        segments go when the connection is returned to its pool)."""
        try:
            self.wait()
        finally:
            if self._watched is not None:
                for name, listener in _LISTENERS:
                    event.remove(self._watched, name, getattr(self, listener))
                self._watched = None
        if self._ready:
            connection = session.connection()
            for name in ("returned_map", "returned_scale"):
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
            self._ready = False

    def abandon(self) -> None:
        """The import failed: the copy in hand waited for, whatever it met."""
        self._before_rollback()


_LISTENERS = (
    ("before_cursor_execute", "_before_statement"),
    ("commit", "_before_statement"),
    ("rollback", "_before_rollback"),
)


def _attach(connection: Connection, segment: int, path: Path) -> str:
    alias = f"{ALIAS}{segment}"
    info = connection.connection.info
    attached: set[str] = info.setdefault(ATTACHED, set())
    if alias not in attached:
        engine = connection.engine
        if not event.contains(engine, "checkin", _detach_segments):
            event.listen(engine, "checkin", _detach_segments)
        connection.exec_driver_sql(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        attached.add(alias)
    return alias


def _detach_segments(dbapi_connection: Any, record: Any) -> None:
    """On the pool's checkin (the transaction over): the segments this connection had."""
    attached = record.info.pop(ATTACHED, None) if record is not None else None
    for alias in sorted(attached or ()):
        with contextlib.suppress(sqlite3.Error):  # a closed connection lets its files go
            dbapi_connection.execute(f"DETACH DATABASE {alias}")
