"""Mutated roster, submissions and criteria files, and mutated backups: never a traceback,
always exit 2 with a message and the database untouched, or a clean import.

Hypothesis makes the files from valid seeds (tests/hostile/harness.py); the number of
examples per importer is bounded (PANEL_DESK_HOSTILE_EXAMPLES, 100 by default) so the run
stays well under a minute.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel_desk.paths import criteria_dir
from panel_desk.services import backup, roster, rounds, submissions
from panel_desk.services.criteria import shipped_criteria
from panel_desk.services.database import open_database
from panel_desk.store.models import Stage
from tests.figures import report
from tests.hostile.harness import (
    EXAMPLES,
    HOSTILE,
    Tally,
    check_import,
    csv_mutations,
    fresh_copy,
    line_mutations,
    zip_mutations,
)

ROUND = "GW-H"
ROSTER = (
    "email,name,roles,expertise,affiliations,declared_interests,phone\n"
    "ann.hale@testshire.ac.uk,Ann Hale,reviewer;moderator,area:frailty;assessment,"
    "University of Testshire|2019-09-01|,Wexford Trust,0100\n"
    "bob.ives@wexford.nhs.uk,Bob Ives,reviewer,area:acute-medicine,Wexford Trust||2021-06-30,,\n"
    "cat.jones@centre.org,Cat Jones,secretariat;eag,,,,\n"
)
TALLIES = {name: Tally(name) for name in ("roster", "submissions", "criteria", "backup")}


def _submissions_seed(folder: Path) -> str:
    spec = shipped_criteria(Stage.GATEWAY)
    header = [*submissions.SUBMISSION_COLUMNS, *(f.key for f in spec.fields), "received_on"]
    lines = [",".join(header)]
    for ref in ("H-01", "H-02", "H-03"):
        names = [f"{ref}-proposal.pdf", f"{ref}-need-evidence.pdf", f"{ref}-development-group.pdf"]
        for name in names:
            (folder / name).write_bytes(f"%PDF-1.4 {name}\n".encode())
        cells = [ref, f"Proposal {ref}", "University of Testshire", "Wexford Trust",
                 "ann.hale@testshire.ac.uk;lead@testshire.ac.uk", "Frailty", ";".join(names),
                 *(f"{f.label} for {ref}" for f in spec.fields), "2026-09-14"]  # fmt: skip
        lines.append(",".join(f'"{c}"' for c in cells))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A hub with a round and a roster (built once), and the valid files mutations start from."""
    folder = tmp_path_factory.mktemp("hostile")
    documents = folder / "documents"
    documents.mkdir()
    hub = folder / "hub.sqlite"
    db = open_database(hub)
    try:
        with db.transaction() as session:
            rounds.create_round(session, stage=Stage.GATEWAY, ref=ROUND, title="Hostile")
        (folder / "roster.csv").write_text(ROSTER)
        db.run(roster.import_roster, folder / "roster.csv")
        seed = _submissions_seed(documents)
        (folder / "first.csv").write_text(
            seed.split("\n", 2)[0] + "\n" + seed.split("\n")[1] + "\n"
        )
        db.run(submissions.import_submissions, folder / "first.csv", ROUND, documents)
        made = backup.make_backup(db, folder / "hub.pdbackup")
    finally:
        db.close()
    return {
        "hub": hub,
        "documents": documents,
        "submissions": seed,
        "criteria": (criteria_dir() / "gateway.toml").read_text(encoding="utf-8"),
        "backup": made.path.read_bytes(),
    }


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    for tally in TALLIES.values():
        if tally.tried:
            report(str(tally))


def _example(tmp_path: Path, seeds: dict, data: bytes, name: str) -> tuple[Path, Path]:
    folder = tmp_path / "example"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    return path, fresh_copy(seeds["hub"], folder / "db")


@HOSTILE
@given(data=csv_mutations(ROSTER))
def test_mutated_roster_files(data: bytes, seeds, run_cli, tmp_path: Path) -> None:
    path, db = _example(tmp_path, seeds, data, "roster.csv")
    TALLIES["roster"].add(check_import(run_cli, db, ["roster", "import", path, "--db", db]))


@HOSTILE
@given(draw=st.data())
def test_mutated_submissions_files(draw: st.DataObject, seeds, run_cli, tmp_path: Path) -> None:
    data = draw.draw(csv_mutations(seeds["submissions"]), label="file")
    path, db = _example(tmp_path, seeds, data, "submissions.csv")
    argv = ["submissions", "import", path, "--round", ROUND, "--documents", seeds["documents"]]
    TALLIES["submissions"].add(check_import(run_cli, db, [*argv, "--db", db]))


GATEWAY_TOML = (criteria_dir() / "gateway.toml").read_text(encoding="utf-8")


@HOSTILE
@given(data=line_mutations(GATEWAY_TOML))
def test_mutated_criteria_files(data: bytes, seeds, run_cli, tmp_path: Path) -> None:
    path, db = _example(tmp_path, seeds, data, "criteria.toml")
    argv = ["round", "create", "--stage", "gateway", "--ref", "GW-NEW", "--title", "New"]
    TALLIES["criteria"].add(check_import(run_cli, db, [*argv, "--criteria", path, "--db", db]))


@HOSTILE
@given(draw=st.data())
def test_mutated_backups(draw: st.DataObject, seeds, run_cli, tmp_path: Path) -> None:
    data = draw.draw(zip_mutations(seeds["backup"]), label="backup")
    path, db = _example(tmp_path, seeds, data, "hub.pdbackup")
    TALLIES["backup"].add(check_import(run_cli, db, ["restore", path, "--db", db]))


def test_the_examples_are_bounded() -> None:
    assert 10 <= EXAMPLES <= 100_000


@pytest.mark.parametrize(
    ("line", "value"),
    [("weight = ", "nan"), ("weight = ", "inf"), ("divergence_threshold = ", "-inf")],
)
def test_numbers_that_are_not_finite_are_refused(
    line: str, value: str, seeds, run_cli, tmp_path: Path
) -> None:
    """Found by the mutations above: `weight = nan` passed validation and crashed the insert
    (SQLite stores NaN as NULL)."""
    lines = GATEWAY_TOML.splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith(line))
    lines[at] = f"{line}{value}"
    path, db = _example(tmp_path, seeds, "\n".join(lines).encode(), "criteria.toml")
    argv = ["round", "create", "--stage", "gateway", "--ref", "GW-NEW", "--title", "New"]

    assert check_import(run_cli, db, [*argv, "--criteria", path, "--db", db]) == "refused"
    assert "must be a finite number" in run_cli(*argv, "--criteria", path, "--db", db)[2]
