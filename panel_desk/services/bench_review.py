"""The benchmark's figures for peer review on the hub: assignment of the whole round, the
import of every reviewer's return, and divergence for the whole round.

Each run works on a fresh copy of the round's database as bench_round.py left it, so the
runs are alike; the raw baselines run on copies too, alternating with the app's runs so
that a burst of load on the machine falls on both.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from panel_desk.services import assignment
from panel_desk.services.bench import Figure, Target, figure, timed
from panel_desk.services.bench_returns import raw_insert, review_rows, write_returns
from panel_desk.services.bench_round import (
    ACTOR,
    BenchRound,
    checkpoint,
    copy_round,
    reviewers_for,
)
from panel_desk.services.divergence import SubmissionDivergence, divergence_by_submission
from panel_desk.services.divergence_report import round_divergence
from panel_desk.services.exchange import return_reading
from panel_desk.services.exchange.return_import import import_returns
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.database import Database

ASSIGNED_PER_SUBMISSION = 3
"""The issue's assignment figure: three reviewers a submission from the roster."""
DIVERGENCE_RUNS = 5
"""Divergence takes well under a second: a few more runs steady its median."""

RAW_DIVERGENCE = """
SELECT a.submission_id, s.criterion_id, MAX(s.points) - MIN(s.points)
FROM score s
JOIN review r ON r.id = s.review_id
JOIN assignment a ON a.id = r.assignment_id
WHERE r.state = 'submitted'
GROUP BY a.submission_id, s.criterion_id
HAVING COUNT(s.points) >= 2 AND MAX(s.points) - MIN(s.points) >= 2
"""
"""The baseline: one aggregate over the scores, with no thresholds, versions or values."""


def _database(path: Path) -> Database:
    return Database(f"sqlite:///{path}")


def assignment_figure(bench: BenchRound, work: Path, runs: int) -> Figure:
    """assign_round on a copy of the screened round, three reviewers a submission."""
    seconds = []
    for run in range(runs):
        path = copy_round(bench.screened, work / f"assign-{run}.sqlite")
        db = _database(path)
        try:

            def assign(db: Database = db) -> None:
                with db.transaction() as session:
                    assignment.assign_round(
                        session,
                        bench.round_ref,
                        per_submission=ASSIGNED_PER_SUBMISSION,
                        actor=ACTOR,
                    )

            seconds.append(timed(assign))
        finally:
            db.close()
            _remove(path)
    return figure(
        "assignment",
        f"assignment of the round (×{ASSIGNED_PER_SUBMISSION} from "
        f"{reviewers_for(bench.submissions):,} reviewers)",
        seconds,
        Target(limit=30),
        note=f"{bench.submissions:,} submissions",
    )


def _returns(bench: BenchRound, work: Path) -> list[Path]:
    db = _database(bench.issued)
    try:
        spec = db.read(lambda s: criteria_of(s, round_by_ref(s, bench.round_ref)))
    finally:
        db.close()
    return write_returns(bench, spec, work / "returns")


def review_figures(bench: BenchRound, work: Path, runs: int) -> tuple[Path, list[Figure]]:
    """The import of every return (against sqlite3's executemany of the same rows), then
    divergence on the imported round. Returns the imported round's database too."""
    returns = _returns(bench, work)
    imported = work / "imported.sqlite"
    seconds, raw = [], []
    rows: tuple[list[str], list[tuple], list[str], list[tuple]] | None = None
    for run in range(runs):
        path = copy_round(bench.issued, work / f"import-{run}.sqlite")
        db = _database(path)
        try:

            def apply(db: Database = db) -> None:
                with db.transaction() as session:
                    import_returns(session, returns, ACTOR)

            seconds.append(timed(apply))
        finally:
            db.close()
        if rows is None:
            rows = review_rows(path)
        if run == runs - 1:
            checkpoint(path)  # all in the file, which is kept under its new name
            path.rename(imported)
            path.with_name(path.name + ".blobs").rename(
                imported.with_name(imported.name + ".blobs")
            )
        else:
            _remove(path)
        target = copy_round(bench.issued, work / f"raw-{run}.sqlite")
        raw.append(raw_insert(target, rows))
        _remove(target)
    assert rows is not None
    scores = len(rows[3])
    figures = [
        figure(
            "returns_import",
            f"import of all returns ({scores:,} scores)",
            seconds,
            Target(ratio=2),
            baseline_runs=raw,
            note=f"{len(returns):,} signed returns, {len(rows[1]):,} reviews; baseline: "
            "sqlite3 executemany of the same rows in one transaction; "
            + (
                f"the import reads the returns in {return_reading.WORKERS} worker processes "
                "as it applies them"
                if return_reading.use_a_worker(len(returns), "sqlite")
                else f"the import too (worker processes from {return_reading.IN_A_WORKER_FROM})"
            ),
        ),
        divergence_figure(imported, bench.round_ref, max(runs, DIVERGENCE_RUNS)),
    ]
    return imported, figures


def divergence_figure(path: Path, round_ref: str, runs: int) -> Figure:
    """Which items diverge, per submission of the whole round, as the Moderation page
    reads them on opening the round (divergence_by_submission: the aggregates alone).
    The full report with every reviewer's value and comment (`panel-desk divergence`)
    is timed once, for the note."""
    db = _database(path)

    def whole_round(session: Session) -> dict[int, SubmissionDivergence]:
        return divergence_by_submission(session, round_by_ref(session, round_ref))

    seconds, raw = [], []
    try:
        for _ in range(runs):
            seconds.append(timed(lambda: db.read(whole_round)))
            raw.append(timed(lambda: _raw_divergence(path)))
        found = db.read(whole_round)
        report = timed(lambda: db.read(round_divergence, round_ref))
    finally:
        db.close()
    items = sum(len(d.divergent) for d in found.values())
    return figure(
        "divergence",
        "divergence for the whole round",
        seconds,
        Target(limit=1, ratio=3),
        baseline_runs=raw,
        note=f"{items:,} divergent items in {len(found):,} submissions; baseline: one SQL "
        f"aggregate over the scores; the full report with every value and comment "
        f"(panel-desk divergence) took {report:.1f} s",
    )


def _raw_divergence(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute(RAW_DIVERGENCE).fetchall()
    finally:
        connection.close()


def round_facts(path: Path) -> dict[str, Any]:
    """What the imported round holds, for the report's header."""
    connection = sqlite3.connect(path)
    try:
        count = {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("submission", "person", "assignment", "review", "score")
        }
        criteria = connection.execute(
            "SELECT COUNT(*) FROM criterion WHERE criteria_set_id = "
            "(SELECT criteria_set_id FROM round LIMIT 1)"
        ).fetchone()[0]
    finally:
        connection.close()
    return {
        "submissions": count["submission"],
        "people": count["person"],
        "reviews": count["review"],
        "scores": count["score"],
        "criteria": criteria,
        "database_mb": round(path.stat().st_size / 2**20, 1),
    }


def _remove(path: Path) -> None:
    """A copied round's files."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    blobs = path.with_name(path.name + ".blobs")
    if blobs.is_symlink():
        blobs.unlink()
