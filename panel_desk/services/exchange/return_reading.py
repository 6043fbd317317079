"""Reading a big batch of returns in a second process while this one applies them.

A 20,000-submission round's 2,000 returns hold 800,000 scores. Opening each container,
checking its signature, parsing its records and judging every version takes as long as
writing them; here a worker process does it, slice by slice (a segment), while this
process applies the slices already read. For each return it found well formed, the
worker writes the scores to the segment's scratch database (returned_stage.py) and hands
back the records without them, with the return's header and manifest digest: the scores
never become Python objects here, and go to the hub's table by SQL.

The worker only ever says yes. A return it cannot read, verify or find well formed in
one look comes back as None, and return_import.py reads it here, through the checks
that word each refusal: the worker decides nothing and no message is written twice.
If the worker fails altogether, every return not yet read is read here. Spawned, not
forked: the GUI imports in a Qt thread.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sqlite3
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from panel_desk.errors import BadInput
from panel_desk.services.bulk_rows import stored_values
from panel_desk.services.exchange import container
from panel_desk.services.exchange.reading import parse_json
from panel_desk.services.exchange.return_checks import EnrolledKeys
from panel_desk.services.exchange.return_staging import stage_records
from panel_desk.services.exchange.returns import FORMATS, KIND, RECORDS, ReturnHeader, read_header
from panel_desk.services.quiet_start import start_quietly
from panel_desk.services.returned_stage import (
    SCORE_INSERT,
    VERSION_COLUMNS,
    VERSION_INSERT,
    Staged,
    open_segment,
)
from panel_desk.services.returned_state import Scales
from panel_desk.services.review_records import ReviewerRecords
from panel_desk.store.models import Review

IN_A_WORKER_FROM = 400
"""Returns below this are read in this process: starting the workers (~0.5 s of imports)
does not pay before. Measured on two cores: 200 returns (80,000 scores) import in 0.9 s
here and 1.2 s with workers; 500 in 2.2 s here and 2.0 s with them; 2,000 in 9 s here
and 5.8 s with them."""
SEGMENTS = 8
"""Slices of the batch, each a scratch database attached to the hub's transaction in turn
(SQLite attaches ten at most)."""
WORKERS = 2
"""Reading a return takes about as long as applying it here; two workers, a segment each at
a time, keep ahead of this process even when a busy machine gives them less than a core."""
NICER = 19
"""The workers yield to this process, which applies what they read: it sets the pace."""
SMALLEST_SEGMENT = 25
"""Returns in a segment at least: each is a task for the worker and a copy by SQL here."""


@dataclass(frozen=True)
class ReadAhead:
    """A return the worker read, verified and found well formed, its versions staged."""

    header: ReturnHeader
    digest: str  # of its manifest
    records: ReviewerRecords  # each version a StagedVersion: the rest waits in the segment
    staged: Staged


def use_a_worker(returns: int, dialect: str) -> bool:
    """A worker for a batch big enough, with a second core, on SQLite (returned_stage)."""
    return returns >= IN_A_WORKER_FROM and dialect == "sqlite" and (os.cpu_count() or 1) >= 2


# --- the worker process -----------------------------------------------------------------


class _Reader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = EnrolledKeys()
        self.scales: dict[str, Scales] = {}
        self._next_version = self._next_score = 1  # ids of the next rows in the segment

    def read_segment(self, task: _Task) -> list[ReadAhead | None]:
        self.keys.certificates.update(task.certificates)
        self.scales.update(task.scales)
        self._next_version = self._next_score = 1  # ids are a segment's own
        connection = open_segment(segment_path(self.folder, task.segment))
        try:
            found = []
            for path in task.paths:
                try:
                    found.append(self._read(connection, task.segment, Path(path)))
                except Exception:  # anything: the return is read again, in full, there
                    found.append(None)
            connection.commit()
        finally:
            connection.close()
        return found

    def _verify(self, source: str) -> container.Verifier:
        def verify(payload: bytes, signature: bytes, manifest: object) -> None:
            header = read_header(source, manifest)
            if not self.keys.accept(source, payload, signature, header.reviewer):
                raise BadInput(source, "not verified here")

        return verify

    def _read(self, connection: sqlite3.Connection, segment: int, path: Path) -> ReadAhead | None:
        source = str(path)
        opened = container.open_container(path, KIND, FORMATS, self._verify(source))
        header = read_header(source, opened.manifest)
        data = opened.members.get(RECORDS)
        scales = self.scales.get(header.round_ref)
        if data is None or scales is None:
            return None
        staging = stage_records(
            parse_json(source, data, RECORDS), scales, self._next_version, self._next_score
        )
        if staging is None:
            return None
        records = staging.records
        if (records.round_ref, records.reviewer.strip().lower()) != (
            header.round_ref,
            header.reviewer,
        ):
            return None
        connection.executemany(
            VERSION_INSERT, stored_values(Review.__table__, _COLUMNS, staging.versions)
        )
        connection.executemany(SCORE_INSERT, staging.scores)
        self._next_version += len(staging.versions)
        self._next_score += len(staging.scores)
        return ReadAhead(header, container.sha256(opened.manifest_bytes), records, Staged(segment))


_COLUMNS = ("id", *VERSION_COLUMNS, "first_score", "last_score")
"""A staged version's row: its id and last two are the segment's own, stored as they are."""


@dataclass(frozen=True)
class _Task:
    """A segment to read, with the keys and scales its returns are checked against. They
    travel with the tasks, not as the worker's start-up arguments: those are written to
    the new process before it has imported anything, and a round's certificates would hold
    this process up until it had (0.7 s for 2,000 reviewers)."""

    segment: int
    paths: tuple[str, ...]
    certificates: dict[str, tuple[str, str]]
    scales: dict[str, Scales]


_worker: _Reader | None = None


def _start_worker(folder: str) -> None:
    global _worker
    # Nothing the worker makes outlives a segment or sits in a cycle: reference counting
    # frees it all, and the collector's passes would only cost time (as in collector_paused).
    gc.disable()
    _worker = _Reader(Path(folder))


def _read_in_worker(task: _Task) -> list[ReadAhead | None]:
    assert _worker is not None, "the worker was not started"
    return _worker.read_segment(task)


def _slices(count: int) -> list[range]:
    """The batch's segments (SEGMENTS at most): a small first one, so that applying starts
    as soon as the worker is up; a small last one, so that little is left to apply once it
    is done; the rest in equal parts."""
    edge = min(count, max(SMALLEST_SEGMENT, count // (4 * SEGMENTS)))
    middle = count - 2 * edge
    if middle <= 0:
        return [range(0, edge), range(edge, count)] if count > edge else [range(0, count)]
    size = max(SMALLEST_SEGMENT, -(-middle // (SEGMENTS - 2)))
    starts = [0, *range(edge, count - edge, size), count - edge]
    return [range(a, b) for a, b in zip(starts, [*starts[1:], count], strict=True)]


def segment_path(folder: Path, segment: int) -> Path:
    return folder / f"segment-{segment}.sqlite"


# --- what return_import.py uses ------------------------------------------------------------


class ReadingAhead:
    """The worker reading a batch segment by segment; `get(file)` waits for a return's
    turn. The worker starts (and imports what it needs) on entering, while the hub reads
    what the batch is checked against; `read` then hands it the returns. Leaving the block
    drops the segments not begun, and waits for the worker to exit unless all were read.

        with ReadingAhead(paths, folder) as ahead:
            ... the hub's certificates and scales ...
            ahead.read(reviewers, certificates, scales)
            for file, path in enumerate(paths):
                found = ahead.get(file)  # None: read it here
    """

    def __init__(self, paths: Sequence[Path], folder: Path) -> None:
        self._paths = list(paths)
        self._folder = folder
        self._slices = _slices(len(self._paths))
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[tuple[range, Future[list[ReadAhead | None]]]] = deque()
        self._read: dict[int, ReadAhead | None] = {}

    @property
    def segments(self) -> dict[int, Path]:
        return {n: segment_path(self._folder, n) for n in range(len(self._slices))}

    def segment_of(self, file: int) -> int:
        return next(n for n, files in enumerate(self._slices) if file in files)

    def __enter__(self) -> ReadingAhead:
        self._pool = ProcessPoolExecutor(
            max_workers=WORKERS,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_quietly,
            initargs=(NICER, f"{__name__}:_start_worker", str(self._folder)),
        )
        for _ in range(WORKERS):  # started now: their imports overlap the hub's reading
            self._pool.submit(int)
        return self

    def read(
        self,
        reviewers: Sequence[str | None],
        certificates: dict[str, tuple[str, str]],
        scales: dict[str, Scales],
    ) -> None:
        """Hand the worker the batch: `reviewers` as each return's header names them (None
        when it could not be read), checked against the hub's `certificates` and `scales`."""
        assert self._pool is not None, "enter the block first"
        for segment, files in enumerate(self._slices):
            named = {reviewers[f] for f in files}
            task = _Task(
                segment,
                tuple(str(self._paths[f]) for f in files),
                {e: pems for e, pems in certificates.items() if e in named},
                scales,
            )
            self._pending.append((files, self._pool.submit(_read_in_worker, task)))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            # All read: the worker is idle and exits by itself, in its own time. Otherwise
            # (an error, a cancel) the segments not begun are dropped and it is waited for,
            # so that nothing runs on after the import.
            self._pool.shutdown(wait=bool(self._pending), cancel_futures=True)
            self._pool = None

    def get(self, file: int) -> ReadAhead | None:
        """The return read ahead, or None: read it here (it failed a look, or the worker)."""
        while file not in self._read and self._pending:
            files, future = self._pending.popleft()
            try:
                found = future.result()
            except Exception:  # the worker died: what it had not read is read here
                found = [None] * len(files)
            self._read.update(zip(files, found, strict=True))
        return self._read.pop(file, None)
