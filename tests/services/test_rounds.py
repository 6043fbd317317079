"""Opening rounds from the command line, and listing them with their screening counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from panel_desk.errors import BadInput
from panel_desk.services import rounds, screening, submissions
from panel_desk.services.criteria import shipped_criteria, shipped_criteria_path
from panel_desk.services.database import Database, open_database
from panel_desk.store.models import CriteriaSet, Round, Stage, Submission
from tests.dbstate import fingerprint


def _create(run_cli, db: Path, *args: str | Path) -> tuple[int, str, str]:
    return run_cli("round", "create", *args, "--db", db)


@pytest.mark.parametrize("stage", list(Stage))
def test_a_round_can_be_opened_at_every_stage(run_cli, tmp_path: Path, stage: Stage) -> None:
    db_path = tmp_path / "hub.sqlite"
    ref = f"{stage.value[:2].upper()}-2027-01"

    code, out, err = _create(
        run_cli, db_path, "--stage", stage.value, "--ref", ref, "--title", "  A call  ",
        "--opens", "2027-01-04", "--review-deadline", "2027-03-01",
    )  # fmt: skip

    assert (code, err) == (0, "")
    assert ref in out and stage.label in out and "2027-01-04" in out
    db = open_database(db_path)
    [summary] = db.read(rounds.list_rounds)
    spec = shipped_criteria(stage)
    assert (summary.ref, summary.stage, summary.title) == (ref, stage.value, "A call")
    assert summary.state == "screening"
    assert summary.opens_on == date(2027, 1, 4)
    assert summary.review_deadline == date(2027, 3, 1)
    assert summary.competitive == (stage == Stage.GATEWAY)
    assert summary.criteria == f"{spec.title} ({spec.version})"
    assert (summary.submissions, summary.complete, summary.gaps) == (0, 0, 0)
    keys = db.read(
        lambda s: [
            c.key for c in s.get(CriteriaSet, s.scalar(select(Round.criteria_set_id))).criteria
        ]
    )
    assert keys == [c.key for c in spec.criteria], "the round keeps its criteria, in order"
    db.close()


def test_a_stage_may_be_written_as_people_write_it(run_cli, tmp_path: Path) -> None:
    code, _, _ = _create(
        run_cli, tmp_path / "hub.sqlite", "--stage", "Provider-Approval", "--ref", "PA-1",
        "--title", "Providers",
    )  # fmt: skip

    assert code == 0
    db = open_database(tmp_path / "hub.sqlite")
    assert db.read(rounds.list_rounds)[0].stage == Stage.PROVIDER_APPROVAL
    db.close()


def test_a_duplicate_ref_is_refused(run_cli, demo_path: Path) -> None:
    before = fingerprint(demo_path)

    code, out, err = _create(
        run_cli, demo_path, "--stage", "endorsement", "--ref", "GW-2026-01", "--title", "Again"
    )

    assert code == 2 and out == ""
    assert "GW-2026-01 already exists" in err and "Traceback" not in err
    assert fingerprint(demo_path) == before


def test_an_unknown_stage_is_refused_listing_the_stages(run_cli, demo_path: Path) -> None:
    before = fingerprint(demo_path)

    code, _, err = _create(run_cli, demo_path, "--stage", "appeal", "--ref", "X-1", "--title", "T")

    assert code == 2
    assert "'appeal'" in err
    assert all(stage.value in err for stage in Stage)
    assert len(err.strip().splitlines()) == 1
    assert fingerprint(demo_path) == before


def test_a_criteria_file_for_another_stage_is_refused(run_cli, demo_path: Path) -> None:
    other = shipped_criteria_path(Stage.ENDORSEMENT)
    before = fingerprint(demo_path)

    code, _, err = _create(
        run_cli, demo_path, "--stage", "gateway", "--ref", "GW-2", "--title", "T",
        "--criteria", other,
    )  # fmt: skip

    assert code == 2
    assert str(other) in err and "endorsement" in err and "gateway" in err
    assert fingerprint(demo_path) == before


def test_a_broken_criteria_file_is_refused_with_its_line(
    run_cli, demo_path: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "gateway.toml"
    text = (
        shipped_criteria_path(Stage.GATEWAY)
        .read_text()
        .replace("weight = 0.2\n", "weight = x\n", 1)
    )
    broken.write_text(text)
    line = text.splitlines().index("weight = x") + 1
    before = fingerprint(demo_path)

    code, _, err = _create(
        run_cli, demo_path, "--stage", "gateway", "--ref", "GW-2", "--title", "T",
        "--criteria", broken,
    )  # fmt: skip

    assert code == 2
    assert f"{broken}: line {line}" in err
    assert fingerprint(demo_path) == before


def test_a_round_may_use_its_own_criteria_file(run_cli, tmp_path: Path) -> None:
    own = tmp_path / "gateway-2027.toml"
    own.write_text(
        shipped_criteria_path(Stage.GATEWAY).read_text().replace('"2026.1"', '"2027.local"')
    )
    db_path = tmp_path / "hub.sqlite"

    code, _, _ = _create(
        run_cli, db_path, "--stage", "gateway", "--ref", "GW-L", "--title", "Local",
        "--criteria", own,
    )  # fmt: skip
    assert _create(run_cli, db_path, "--stage", "gateway", "--ref", "GW-S", "--title", "S")[0] == 0

    assert code == 0
    db = open_database(db_path)
    by_ref = {r.ref: r for r in db.read(rounds.list_rounds)}
    assert by_ref["GW-L"].criteria.endswith("(2027.local)")
    assert by_ref["GW-S"].criteria.endswith("(2026.1)")
    sources = db.read(lambda s: sorted(s.scalars(select(CriteriaSet.source_name))))
    assert sources == ["gateway-2027.toml", "gateway.toml"]
    db.close()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--opens", "2026-13-01"], "not a date"),
        (["--opens", "01/09/2026"], "not a date"),
        (["--places", "many"], "invalid int"),
        (["--budget", "lots"], "not an amount"),
    ],
)
def test_a_malformed_option_is_a_usage_error(
    run_cli, demo_path: Path, args: list[str], problem: str
) -> None:
    before = fingerprint(demo_path)

    code, out, err = _create(
        run_cli, demo_path, "--stage", "gateway", "--ref", "GW-2", "--title", "T", *args
    )

    assert code == 2 and out == ""
    assert problem in err and "Traceback" not in err
    assert fingerprint(demo_path) == before


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--places", "0"], "--places"),
        (["--places", "99999999999999999999"], "--places"),
        (["--budget", "-1"], "--budget"),
        (["--budget", "NaN"], "--budget"),
        (["--budget", "1e30"], "--budget"),
        (["--opens", "2027-02-01", "--review-deadline", "2027-01-01"], "--review-deadline"),
        (["--title", "  "], "--title"),
        (["--ref", "has space"], "--ref"),
    ],
)
def test_an_impossible_value_is_refused_naming_the_option(
    run_cli, demo_path: Path, args: list[str], problem: str
) -> None:
    before = fingerprint(demo_path)
    base = {"--stage": "gateway", "--ref": "GW-2", "--title": "T"}
    for option, value in zip(args[::2], args[1::2], strict=True):
        base[option] = value

    code, out, err = _create(run_cli, demo_path, *[x for kv in base.items() for x in kv])

    assert code == 2 and out == ""
    assert err.startswith(f"panel-desk: {problem}: ") and "Traceback" not in err
    assert fingerprint(demo_path) == before


def test_places_and_budget_are_kept(empty_db: Database) -> None:
    with empty_db.transaction() as session:
        rounds.create_round(
            session,
            stage=Stage.GATEWAY,
            ref="GW-B",
            title="T",
            places=4,
            budget=Decimal("250000.50"),
        )

    stored = empty_db.read(lambda s: s.scalar(select(Round)))
    assert (stored.places, stored.budget) == (4, Decimal("250000.50"))


def test_a_round_is_found_by_ref_or_named_as_missing(empty_db: Database) -> None:
    with pytest.raises(BadInput, match="there are no rounds yet"):
        empty_db.read(rounds.round_by_ref, "GW-1")


# --- listing -----------------------------------------------------------------------------


def test_list_rounds_counts_submissions_by_screening_state(demo_db: Database) -> None:
    listed = demo_db.read(rounds.list_rounds)

    def counted(session) -> dict[str, tuple[int, int, int]]:
        result = {}
        for round_ in session.scalars(select(Round)):
            states = dict(
                session.execute(
                    select(Submission.screening_state, func.count())
                    .where(Submission.round_id == round_.id)
                    .group_by(Submission.screening_state)
                ).all()
            )
            result[round_.ref] = (
                sum(states.values()),
                states.get("complete", 0),
                states.get("gaps_returned", 0),
            )
        return result

    assert {r.ref: (r.submissions, r.complete, r.gaps) for r in listed} == demo_db.read(counted)
    assert [r.opens_on for r in listed] == sorted(r.opens_on for r in listed)
    assert all(r.submissions > 0 for r in listed)


def test_list_rounds_follows_screening(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    file = write_csv(
        "s.csv",
        files.header,
        files.row("S-01"),
        files.row("S-02"),
        files.row("S-03", development_group=""),
    )
    gateway_round.run(submissions.import_submissions, file, "GW-T-01", files.folder)
    [before] = gateway_round.read(rounds.list_rounds)

    gateway_round.run(screening.run_screening, "GW-T-01")
    [after] = gateway_round.read(rounds.list_rounds)

    assert (before.submissions, before.complete, before.gaps) == (3, 0, 0)
    assert (after.submissions, after.complete, after.gaps) == (3, 2, 1)
