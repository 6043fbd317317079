"""The demo: realistic enough for a first look, never conflicted, and safe on a real database."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from panel_desk.services import audit, demo, demo_registers, screening
from panel_desk.services.database import Database, open_database
from panel_desk.store.models import (
    Affiliation,
    Assignment,
    Criterion,
    DeclaredInterest,
    NamedPerson,
    Person,
    PersonRole,
    Review,
    ReviewState,
    Role,
    Round,
    Score,
    ScreeningState,
    Submission,
    SubmissionPartner,
)
from tests.dbstate import fingerprint


def _scalar(db: Database, query):
    return db.read(lambda s: s.scalar(query))


def test_the_demo_has_rounds_people_gaps_and_reviews(demo_db: Database) -> None:
    stages = demo_db.read(lambda s: set(s.scalars(select(Round.stage))))
    assert len(stages) >= 2
    assert _scalar(demo_db, select(func.count()).select_from(Submission)) == demo.SMALL
    assert _scalar(demo_db, select(func.count()).select_from(Person)) >= 25
    roles = demo_db.read(lambda s: set(s.scalars(select(PersonRole.role))))
    assert roles == set(Role)
    gaps = select(func.count()).where(Submission.screening_state == ScreeningState.GAPS_RETURNED)
    assert _scalar(demo_db, gaps) >= 2
    submitted = select(func.count()).where(Review.state == ReviewState.SUBMITTED)
    assert _scalar(demo_db, submitted) >= 10
    drafts = select(func.count()).where(Review.state == ReviewState.DRAFT)
    assert _scalar(demo_db, drafts) >= 1
    assert demo_db.read(audit.verify_chain).intact


def test_some_submission_has_divergent_numeric_scores(demo_db: Database) -> None:
    def spreads(session) -> dict[tuple[int, str], float]:
        rows = session.execute(
            select(
                Assignment.submission_id,
                Criterion.key,
                func.max(Score.points) - func.min(Score.points),
            )
            .join(Review, Review.assignment_id == Assignment.id)
            .join(Score, Score.review_id == Review.id)
            .join(Criterion, Criterion.id == Score.criterion_id)
            .where(Review.state == ReviewState.SUBMITTED, Criterion.scale_kind == "numeric")
            .group_by(Assignment.submission_id, Criterion.key)
        )
        return {(sid, key): spread for sid, key, spread in rows}

    found = demo_db.read(spreads)

    assert found, "the demo has numeric scores"
    assert max(found.values()) >= 2, "a moderation panel needs something to moderate"


def test_no_reviewer_is_assigned_where_a_conflict_rule_would_fire(demo_db: Database) -> None:
    def load(session):
        named = defaultdict(set)
        for sid, email in session.execute(select(NamedPerson.submission_id, NamedPerson.email)):
            named[sid].add(email)
        organisations = defaultdict(set)
        for sid, lead in session.execute(select(Submission.id, Submission.lead_organisation_id)):
            organisations[sid].add(lead)
        for sid, org in session.execute(
            select(SubmissionPartner.submission_id, SubmissionPartner.organisation_id)
        ):
            organisations[sid].add(org)
        ties = defaultdict(list)
        for person_id, org, starts, ends in session.execute(
            select(
                Affiliation.person_id,
                Affiliation.organisation_id,
                Affiliation.starts_on,
                Affiliation.ends_on,
            )
        ):
            ties[person_id].append((org, starts, ends))
        interests = defaultdict(set)
        for person_id, org in session.execute(
            select(DeclaredInterest.person_id, DeclaredInterest.organisation_id)
        ):
            interests[person_id].add(org)
        assignments = session.execute(
            select(
                Assignment.submission_id,
                Assignment.person_id,
                Person.email,
                Round.opens_on,
                Round.lookback_years,
            )
            .join(Person, Person.id == Assignment.person_id)
            .join(Round, Round.id == Assignment.round_id)
        ).all()
        return named, organisations, ties, interests, assignments

    named, organisations, ties, interests, assignments = demo_db.read(load)

    assert len(assignments) >= 20
    assert any(named[sid] & {email for _, _, email, _, _ in assignments} for sid in named), (
        "the demo names some reviewers in submissions, so this test has something to check"
    )
    for submission_id, person_id, email, opens, lookback in assignments:
        assert email not in named[submission_id], f"{email} is named in {submission_id}"
        cutoff = date(opens.year - lookback, opens.month, opens.day)
        for org, starts, ends in ties[person_id]:
            current = (starts is None or starts <= opens) and (ends is None or ends >= cutoff)
            assert not (current and org in organisations[submission_id]), (
                f"{email} is affiliated with an organisation of submission {submission_id}"
            )
        assert not interests[person_id] & organisations[submission_id]


def test_only_complete_submissions_have_reviewers(demo_db: Database) -> None:
    states = demo_db.read(
        lambda s: set(
            s.scalars(
                select(Submission.screening_state).join(
                    Assignment, Assignment.submission_id == Submission.id
                )
            )
        )
    )

    assert states == {ScreeningState.COMPLETE}


def test_the_demo_screening_is_settled_but_for_one_resubmission(demo_db: Database) -> None:
    resubmitted = demo_db.read(
        lambda s: list(
            s.scalars(
                select(Submission.ref).where(
                    Submission.screening_state == ScreeningState.RESUBMITTED
                )
            )
        )
    )
    assert len(resubmitted) == 1, "the demo shows a resubmission waiting to be screened"

    report = demo_db.run(screening.run_screening, "GW-2026-01")

    assert {r.ref: r.state for r in report}[resubmitted[0]] == ScreeningState.COMPLETE


def test_demo_refuses_a_database_that_holds_rounds(run_cli, demo_path: Path) -> None:
    before = fingerprint(demo_path)

    code, out, err = run_cli("demo", "--db", demo_path)

    assert code == 2 and out == ""
    assert "already holds rounds" in err and "--if-empty" in err
    assert "Traceback" not in err
    assert fingerprint(demo_path) == before


def test_demo_if_empty_leaves_a_database_with_rounds_alone(run_cli, demo_path: Path) -> None:
    before = fingerprint(demo_path)

    code, out, err = run_cli("demo", "--if-empty", "--db", demo_path)

    assert (code, err) == (0, "")
    assert "not added" in out
    assert fingerprint(demo_path) == before


def test_demo_at_a_larger_scale(run_cli, tmp_path: Path) -> None:
    db_path = tmp_path / "large.sqlite"

    code, out, err = run_cli("demo", "--scale", "200", "--db", db_path)

    assert (code, err) == (0, "")
    # The finished (signed-off) round comes on top of the scale asked for.
    assert f"{200 + demo.SIGNED_SIZE} submissions" in out
    db = open_database(db_path)
    total = _scalar(db, select(func.count()).select_from(Submission))
    rounds_ = db.read(lambda s: s.scalar(select(func.count()).select_from(Round)))
    # … and the credential followed from it (services/demo_registers.py).
    chain = demo_registers.SUBMISSIONS
    assert (total, rounds_) == (200 + demo.SIGNED_SIZE + chain, 4 + len(demo_registers.ROUNDS))
    assert db.read(audit.verify_chain).intact
    db.close()


@pytest.mark.parametrize("scale", ["5", "0", "-3", "lots"])
def test_a_scale_too_small_or_not_a_number_is_a_usage_error(
    run_cli, tmp_path: Path, scale: str
) -> None:
    code, out, err = run_cli("demo", "--scale", scale, "--db", tmp_path / "x.sqlite")

    assert code == 2 and out == ""
    assert "--scale" in err and "Traceback" not in err


def test_a_failed_demo_leaves_the_database_empty(
    monkeypatch: pytest.MonkeyPatch, empty_db: Database
) -> None:
    def fail(*args, **kwargs):
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(screening, "run_screening", fail)

    with pytest.raises(RuntimeError):
        demo.build_demo(empty_db)

    for model in (Round, Person, Submission):
        assert _scalar(empty_db, select(func.count()).select_from(model)) == 0
    assert empty_db.read(audit.verify_chain).events == 0
