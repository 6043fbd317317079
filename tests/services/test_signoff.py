"""Sign-off by the Education Assurance Group: the quorum, abstentions on conflicts, refusals
while moderation is incomplete, and signatures voided by any later change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from panel_desk.errors import BadInput
from panel_desk.services import audit, signoff
from panel_desk.services.database import Database, open_database
from panel_desk.services.signoff_conflicts import TOOK_PART_REVIEW
from panel_desk.store.models import Assignment, AuditEvent, Review, Round, Score, SignOff
from tests.services.signoff_world import ROUND, change_feedback, people_with


@pytest.fixture
def hub(signed_demo_path: Path) -> Iterator[Database]:
    db = open_database(signed_demo_path)
    yield db
    db.close()


def _state(db: Database, ref: str = ROUND) -> str:
    return db.read(lambda s: s.scalar(select(Round.state).where(Round.ref == ref)))


def _void_all(db: Database) -> None:
    """Change one decision, so every signature is void and sign-off starts again."""
    change_feedback(db, "GW25-01", "The panel revised its feedback after discussion.")


def test_the_demo_round_is_signed_off_by_a_quorum_and_decided(hub: Database) -> None:
    status = hub.read(signoff.signoff_status, ROUND)

    assert status.complete, status.headline()
    assert len(status.counting) >= status.quorum == 2
    assert not status.blockers and not status.short
    assert _state(hub) == "decided"
    assert hub.read(audit.verify_chain).intact


def test_a_member_who_reviewed_a_submission_abstains_on_it_on_the_record(hub: Database) -> None:
    status = hub.read(signoff.signoff_status, ROUND)
    for signature in status.counting:
        conflicts = hub.read(signoff.conflicts_for, ROUND, signature.signer)
        considered = {d.ref for d in status.decisions.considered}
        expected = sorted(c.submission_ref for c in conflicts if c.submission_ref in considered)
        assert list(signature.abstentions) == expected
    reviewers = [
        (s.signer, c)
        for s in status.counting
        for c in hub.read(signoff.conflicts_for, ROUND, s.signer)
        if TOOK_PART_REVIEW in c.reasons
    ]
    assert reviewers, "the demo's reviewing EAG member abstains where they reviewed"
    for email, conflict in reviewers:
        signed = next(s for s in status.counting if s.signer == email)
        assert conflict.submission_ref in signed.abstentions


def test_sign_off_is_refused_while_moderation_is_incomplete(hub: Database) -> None:
    member = people_with(hub, "eag")[0]

    with pytest.raises(BadInput, match=r"divergent items? still need"):
        hub.run(signoff.sign_off, "GW-2026-01", member)

    assert (
        hub.read(
            lambda s: s.scalar(select(SignOff.id).join(Round).where(Round.ref == "GW-2026-01"))
        )
        is None
    )


def test_only_the_education_assurance_group_signs(hub: Database) -> None:
    chair = people_with(hub, "moderator")[0]
    with pytest.raises(BadInput, match="not on the Education Assurance Group"):
        hub.run(signoff.sign_off, ROUND, chair)


def test_nobody_signs_the_same_recommendations_twice(hub: Database) -> None:
    signer = hub.read(signoff.signoff_status, ROUND).counting[0].signer
    with pytest.raises(BadInput, match="already signed off"):
        hub.run(signoff.sign_off, ROUND, signer)


def test_a_recommendation_changed_after_signing_voids_the_signatures_and_says_why(
    hub: Database,
) -> None:
    before = hub.read(signoff.signoff_status, ROUND)

    chair = change_feedback(hub, "GW25-06", "Revised: the panel asks for a clearer scope.")

    after = hub.read(signoff.signoff_status, ROUND)
    assert not after.complete and not after.counting
    rows = hub.read(
        lambda s: s.scalars(
            select(SignOff).join(Round, Round.id == SignOff.round_id).where(Round.ref == ROUND)
        ).all()
    )
    assert rows and all(r.voided_at is not None for r in rows)
    for row in rows:
        assert "GW25-06" in row.void_reason and "version 2" in row.void_reason
    assert all(s.problem.startswith("void since") for s in after.signatures)
    assert after.digest != before.digest
    assert _state(hub) == "sign_off", "the round is no longer decided"
    voided = hub.read(
        lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == "signoff.voided")).all()
    )
    assert len(voided) == 1 and voided[0].actor == chair
    assert hub.read(audit.verify_chain).intact


def test_a_new_sign_off_after_a_change_needs_the_quorum_again(hub: Database) -> None:
    _void_all(hub)
    members = people_with(hub, "eag")

    first = hub.run(signoff.sign_off, ROUND, members[0])

    assert not first.status.complete and len(first.status.counting) == 1
    assert _state(hub) == "sign_off"
    signed = first
    for member in members[1:]:
        signed = hub.run(signoff.sign_off, ROUND, member)
        if signed.status.complete:
            break
    assert signed.status.complete and _state(hub) == "decided"


def test_a_changed_score_stops_signatures_counting_and_is_voided_at_the_next_step(
    hub: Database,
) -> None:
    def correct_scores(session) -> None:  # as a corrected review moves the means
        last = session.scalar(  # a review in the signed round
            select(Review.id)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Round, Round.id == Assignment.round_id)
            .where(Round.ref == ROUND)
            .order_by(Review.id.desc())
        )
        for score in session.scalars(select(Score).where(Score.review_id == last)):
            if score.points is not None:
                moved = 1.0 if score.points > 1 else 5.0
                session.execute(
                    update(Score)
                    .where(Score.id == score.id)
                    .values(points=moved, value=f"{moved:g}")
                )

    hub.run(correct_scores)

    status = hub.read(signoff.signoff_status, ROUND)
    assert not status.complete
    assert all("earlier recommendation set" in s.problem for s in status.signatures)
    voided = hub.run(signoff.void_stale, ROUND, "test@example.org")
    assert voided == len(status.signatures)
    rows = hub.read(
        lambda s: s.scalars(
            select(SignOff).join(Round, Round.id == SignOff.round_id).where(Round.ref == ROUND)
        ).all()
    )
    assert all("scores, ranking or the cut-line" in r.void_reason for r in rows)


def test_a_statement_is_signed_and_kept_with_the_signature(hub: Database) -> None:
    _void_all(hub)
    member = people_with(hub, "eag")[0]

    hub.run(signoff.sign_off, ROUND, member, statement_text="I abstained where I reviewed.")

    status = hub.read(signoff.signoff_status, ROUND)
    mine = next(s for s in status.signatures if s.signer == member and s.counts)
    assert mine.statement == "I abstained where I reviewed."


def test_a_signature_made_with_a_key_since_revoked_no_longer_counts(hub: Database) -> None:
    from panel_desk.services import enrolment

    signer = hub.read(signoff.signoff_status, ROUND).counting[0].signer
    hub.run(enrolment.revoke, signer, "laptop lost", people_with(hub, "secretariat")[0])

    status = hub.read(signoff.signoff_status, ROUND)
    revoked = next(s for s in status.signatures if s.signer == signer)
    assert not revoked.counts and "revoked" in revoked.problem
    assert all(s.counts for s in status.signatures if s.signer != signer)
