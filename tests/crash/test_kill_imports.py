"""Imports and the demo killed with SIGKILL at random moments: every time, the database is
whole (integrity_check ok), the audit trail intact, and the import wholly there or absent.

About 50 kills in all with test_kill_returns.py, each loop bounded in time too, so the run
stays within minutes.
"""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from panel_desk.services.criteria import shipped_criteria
from panel_desk.services.demo import SIGNED_SIZE
from panel_desk.services.submissions import SUBMISSION_COLUMNS
from panel_desk.store.models import Stage
from tests.crash.killloop import kill_loop
from tests.figures import report

PEOPLE = 600
SUBMISSIONS = 200
DEMO_SCALE = 30
ROUND = "GW-KILL"


def _count(path: Path, sql: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def _roster(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["email", "name", "roles", "expertise", "affiliations", "declared_interests"]
        )
        for i in range(PEOPLE):
            writer.writerow(
                [
                    f"person.{i}@org{i % 40}.ac.uk",
                    f"Person {i}",
                    "reviewer" if i % 7 else "reviewer;moderator",
                    "area:frailty;assessment",
                    f"Organisation {i % 40}|2020-01-01|",
                    f"Organisation {(i + 1) % 40}",
                ]
            )
    return path


def _submissions(path: Path, documents: Path) -> Path:
    spec = shipped_criteria(Stage.GATEWAY)
    documents.mkdir()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*SUBMISSION_COLUMNS, *(f.key for f in spec.fields)])
        for i in range(SUBMISSIONS):
            ref = f"K-{i:04d}"
            names = [
                f"{ref}-proposal.pdf",
                f"{ref}-need-evidence.pdf",
                f"{ref}-development-group.pdf",
            ]
            for name in names:
                (documents / name).write_bytes(f"%PDF-1.4 {name}\n".encode() * 40)
            writer.writerow(
                [ref, f"Proposal {i}", f"Organisation {i % 40}", f"Organisation {(i + 3) % 40}",
                 f"lead.{i}@org{i % 40}.ac.uk", "Frailty", ";".join(names),
                 *(f"{f.label} for {ref}" for f in spec.fields)]
            )  # fmt: skip
    return path


def roster_outcome(path: Path) -> str:
    people = _count(path, "SELECT count(*) FROM person")
    imported = _count(path, "SELECT count(*) FROM audit_event WHERE action = 'roster.imported'")
    if (people, imported) == (0, 0):
        return "absent"
    assert (people, imported) == (PEOPLE, 1), f"half an import: {people} people, {imported}"
    assert _count(path, "SELECT count(*) FROM affiliation") == PEOPLE
    return "present"


def submissions_outcome(path: Path) -> str:
    found = _count(path, "SELECT count(*) FROM submission")
    imported = _count(
        path, "SELECT count(*) FROM audit_event WHERE action = 'submissions.imported'"
    )
    if (found, imported) == (0, 0):
        return "absent"
    assert (found, imported) == (SUBMISSIONS, 1), f"half an import: {found} submissions"
    connection = sqlite3.connect(path)
    try:
        documents = connection.execute("SELECT blob_path, sha256 FROM document").fetchall()
    finally:
        connection.close()
    assert len(documents) == 3 * SUBMISSIONS
    blobs = path.with_name(path.name + ".blobs")
    for relative, sha in documents:  # written and synced before the commit that names them
        assert hashlib.sha256((blobs / relative).read_bytes()).hexdigest() == sha
    return "present"


def demo_outcome() -> Callable[[Path], str]:
    """The demo wholly there or absent. Wholly there is what a run left alone made (the
    first calibration run, checked against the second): the demo grows as features land,
    so its rounds are counted, not written down here."""
    whole: list[tuple[int, ...]] = []

    def outcome(path: Path) -> str:
        rounds = _count(path, "SELECT count(*) FROM round")
        events = _count(path, "SELECT count(*) FROM audit_event")
        if (rounds, events) == (0, 0):
            return "absent"
        made = (
            rounds,
            _count(path, "SELECT count(*) FROM submission"),
            _count(path, "SELECT count(*) FROM audit_event WHERE action = 'round.created'"),
            _count(path, "SELECT count(*) FROM person"),
            _count(path, "SELECT count(*) FROM review"),
        )
        if not whole:
            # At least the demo's four rounds, at the scale asked for plus its finished one.
            assert rounds >= 4 and made[1] >= DEMO_SCALE + SIGNED_SIZE and made[2] == rounds
            whole.append(made)
        assert made == whole[0], f"half a demo: {made}, whole is {whole[0]}"
        return "present"

    return outcome


def _run(name: str, tmp_path: Path, setup, args, outcome, kills: int, budget: float) -> None:
    result = kill_loop(tmp_path, setup, args, outcome, kills=kills, budget_seconds=budget)
    report(f"kill loop, {name}: {result}")
    assert result.killed >= min(kills, 4), "the budget allowed too few kills to prove anything"


@pytest.mark.slow
def test_a_killed_roster_import_is_all_or_nothing(tmp_path: Path) -> None:
    roster = _roster(tmp_path / "roster.csv")
    _run(
        "roster import",
        tmp_path,
        [],
        lambda db: ["roster", "import", roster, "--db", db],
        roster_outcome,
        kills=15,
        budget=120,
    )


@pytest.mark.slow
def test_a_killed_submissions_import_is_all_or_nothing(tmp_path: Path) -> None:
    subs = _submissions(tmp_path / "subs.csv", tmp_path / "documents")
    setup = [["round", "create", "--stage", "gateway", "--ref", ROUND, "--title", "Kill loop"]]
    _run(
        "submissions import",
        tmp_path,
        setup,
        lambda db: ["submissions", "import", subs, "--round", ROUND,
                    "--documents", tmp_path / "documents", "--db", db],
        submissions_outcome,
        kills=15,
        budget=120,
    )  # fmt: skip


@pytest.mark.slow
def test_a_killed_demo_is_all_or_nothing(tmp_path: Path) -> None:
    _run(
        "demo",
        tmp_path,
        [],
        lambda db: ["demo", "--scale", str(DEMO_SCALE), "--db", db],
        demo_outcome(),
        kills=12,
        budget=120,
    )
