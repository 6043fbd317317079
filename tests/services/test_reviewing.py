"""The reviewer's side of peer review: assignments, drafts, submitting, corrections, conflicts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from panel_desk.errors import BadInput
from panel_desk.services import review_views, reviewing
from panel_desk.services.database import Database
from panel_desk.services.review_rules import ReviewContent
from panel_desk.services.reviewing import IncompleteReview, Progress
from panel_desk.store.models import Assignment, AuditEvent, Person, Review, Round
from tests.dbstate import fingerprint
from tests.services.review_fixtures import ENDORSEMENT, GATEWAY, complete_review, pick


def _listing(db: Database, email: str, round_ref: str = ENDORSEMENT) -> reviewing.MyReviews:
    return db.read(
        lambda s: reviewing.my_reviews(s, email, reviewing.resolve_round(s, email, round_ref).id)
    )


def _form(db: Database, chosen) -> review_views.ReviewForm:
    return db.read(review_views.review_form, chosen.assignment_id, chosen.email)


def test_my_reviews_lists_each_state_with_progress_and_deadline(demo_db):
    draft = pick(demo_db, Progress.DRAFT)
    mine = _listing(demo_db, draft.email)

    assert mine.deadline == date(2026, 12, 18)
    assert draft.submission_ref in [i.submission_ref for i in mine.items]
    line = mine.progress_line(today=date(2026, 12, 1))
    assert line == f"{mine.submitted} of {mine.to_review} submitted · reviews due 18 Dec 2026"
    assert "overdue" in mine.progress_line(today=date(2027, 1, 5))

    gateway = _listing(demo_db, draft.email, GATEWAY)
    assert all(i.progress == Progress.SUBMITTED for i in gateway.items)
    assert gateway.progress_line(today=date(2027, 1, 5)).startswith(
        f"{len(gateway.items)} of {len(gateway.items)} submitted · reviews due 30 Nov 2026"
    )


def test_a_first_save_makes_version_1_and_later_saves_update_it(demo_db):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    blank = demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, ReviewContent())
    assert (blank.version, blank.changed) == (0, False)  # nothing typed: nothing stored

    content = ReviewContent().with_score("assessment", "not met", "No assessment strategy.")
    first = demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, content)
    second = demo_db.run(
        reviewing.save_draft,
        chosen.assignment_id,
        chosen.email,
        content.with_score("assessment", comment="No assessment strategy at all."),
    )
    again = demo_db.run(
        reviewing.save_draft,
        chosen.assignment_id,
        chosen.email,
        content.with_score("assessment", comment="No assessment strategy at all."),
    )

    assert (first.version, first.changed) == (1, True)
    assert (second.version, second.changed) == (1, True)
    assert (again.changed, again.saved_at) == (False, second.saved_at)
    form = _form(demo_db, chosen)
    assert form.progress == Progress.DRAFT
    assert form.content.score("assessment").comment == "No assessment strategy at all."
    assert [v.version for v in form.versions] == [1]


def test_a_value_off_the_scale_or_an_unknown_criterion_is_refused(demo_db, demo_path):
    chosen = pick(demo_db, Progress.DRAFT)
    before = fingerprint(demo_path)
    for content, expected in (
        (ReviewContent().with_score("assessment", "maybe"), "'maybe' is not on the scale met"),
        (ReviewContent().with_score("charisma", "met"), "unknown criterion 'charisma'"),
        (ReviewContent(recommendation="approve"), "'approve' is not a recommendation"),
    ):
        with pytest.raises(BadInput, match=expected):
            demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, content)
    assert fingerprint(demo_path) == before


def test_values_are_taken_in_any_case_and_stored_as_the_scale_spells_them(demo_db):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    content = ReviewContent(recommendation="Endorse WITH conditions").with_score(
        "assessment", "  Met  With Conditions "
    )
    demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, content)
    form = _form(demo_db, chosen)
    assert form.content.score("assessment").value == "met with conditions"
    assert form.content.recommendation == "endorse with conditions"


def test_submit_lists_everything_missing_in_the_order_of_the_form(demo_db, demo_path):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    content = complete_review(demo_db, chosen, "endorse with conditions")
    content = content.with_score("specific_capabilities", "").with_score(
        "assessment", "not met", ""
    )
    content = ReviewContent(content.scores, content.recommendation, "", content.comment)
    demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, content)
    before = fingerprint(demo_path)

    with pytest.raises(IncompleteReview) as raised:
        demo_db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, False)

    problems = [(p.key, p.part) for p in raised.value.problems]
    assert problems == [
        ("specific_capabilities", "value"),
        ("assessment", "comment"),
        ("recommendation", "conditions"),
        ("certification", "certification"),
    ]
    assert "not ready to submit (4 to do)" in str(raised.value)
    assert "'not met' needs a comment" in str(raised.value)
    assert fingerprint(demo_path) == before


def test_submitting_locks_the_review_and_records_it_in_the_audit_trail(demo_db):
    chosen = pick(demo_db, Progress.DRAFT)
    demo_db.run(
        reviewing.save_draft,
        chosen.assignment_id,
        chosen.email,
        complete_review(demo_db, chosen),
    )
    assert demo_db.read(reviewing.check_review, chosen.assignment_id, chosen.email, True) == []

    version = demo_db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, True)

    form = _form(demo_db, chosen)
    assert (version, form.progress, form.editable) == (1, Progress.SUBMITTED, False)
    assert form.current.submitted_at is not None
    with demo_db.reading() as session:
        review = session.scalar(select(Review).where(Review.assignment_id == chosen.assignment_id))
        assert review.no_conflict_certified
        event = session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert (event.action, event.subject_ref, event.actor) == (
            "review.submitted",
            chosen.submission_ref,
            chosen.email,
        )
        assert form.content.digest() in event.payload
    with pytest.raises(BadInput, match="is submitted and cannot be changed"):
        demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, ReviewContent())
    with pytest.raises(BadInput, match="already submitted"):
        demo_db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, True)


def test_a_correction_is_a_new_version_with_a_reason_and_shows_what_changed(demo_db):
    chosen = pick(demo_db, Progress.SUBMITTED)
    with pytest.raises(BadInput, match="say why"):
        demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "  ")

    version = demo_db.run(
        reviewing.start_correction, chosen.assignment_id, chosen.email, "Misread the mapping"
    )
    form = _form(demo_db, chosen)
    assert (version, form.progress, form.editable) == (2, Progress.CORRECTION, True)
    assert form.current.correction_reason == "Misread the mapping"
    original = form.content

    value = next(v for v in ("not met", "met") if v != original.score("assessment").value)
    outcome = next(o for o in ("do not endorse", "endorse") if o != original.recommendation)
    changed = original.with_score("assessment", value, "The mapping omits assessment.")
    changed = ReviewContent(changed.scores, outcome, "", changed.comment)
    demo_db.run(reviewing.save_draft, chosen.assignment_id, chosen.email, changed)
    assert demo_db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, True) == 2

    comparison = demo_db.read(review_views.my_comparison, chosen.assignment_id, chosen.email, 1, 2)
    parts = {(d.key, d.part): (d.before, d.after) for d in comparison.differences}
    assert parts[("assessment", "value")] == (original.score("assessment").value, value)
    assert parts[("assessment", "comment")][1] == "The mapping omits assessment."
    assert parts[("recommendation", "value")] == (original.recommendation, outcome)
    assert comparison.after.correction_reason == "Misread the mapping"
    versions = demo_db.read(review_views.my_versions, chosen.assignment_id, chosen.email)
    assert [(v.version, v.state) for v in versions] == [(1, "submitted"), (2, "submitted")]


def test_a_correction_can_be_discarded_before_it_is_submitted(demo_db):
    chosen = pick(demo_db, Progress.SUBMITTED)
    demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "Typo")
    assert demo_db.run(reviewing.discard_correction, chosen.assignment_id, chosen.email) == 1
    assert _form(demo_db, chosen).progress == Progress.SUBMITTED
    with pytest.raises(BadInput, match="no correction in progress"):
        demo_db.run(reviewing.discard_correction, chosen.assignment_id, chosen.email)


def test_only_my_own_active_assignments_may_be_touched(demo_db, demo_path):
    mine = pick(demo_db, Progress.DRAFT)
    other = next(
        p
        for skip in range(20)
        for p in [pick(demo_db, Progress.NOT_STARTED, skip=skip)]
        if p.email != mine.email
    )
    with demo_db.transaction() as session:
        session.get(Assignment, other.assignment_id).state = "withdrawn"
    before = fingerprint(demo_path)
    attempts = [
        (other.assignment_id, mine.email),  # someone else's
        (999_999, mine.email),  # nobody's
        (other.assignment_id, other.email),  # withdrawn from its reviewer
    ]
    for assignment_id, email in attempts:
        with pytest.raises(BadInput, match="not one of your active assignments"):
            demo_db.run(reviewing.save_draft, assignment_id, email, ReviewContent(comment="Hello"))
        with pytest.raises(BadInput, match="not one of your active assignments"):
            demo_db.run(reviewing.submit_review, assignment_id, email, True)
        with pytest.raises(BadInput, match="not one of your active assignments"):
            demo_db.read(review_views.review_form, assignment_id, email)
    with pytest.raises(BadInput, match="no longer assigned to you"):
        demo_db.read(reviewing.find_assignment, other.email, other.submission_ref, other.round_ref)
    assert other.submission_ref not in [
        i.submission_ref for i in _listing(demo_db, other.email).items
    ]
    assert fingerprint(demo_path) == before


def test_a_declared_conflict_shuts_the_assignment_to_scoring(demo_db, demo_path):
    chosen = pick(demo_db, Progress.DRAFT)
    with pytest.raises(BadInput, match="say what the conflict"):
        demo_db.run(reviewing.declare_conflict, chosen.assignment_id, chosen.email, "")

    demo_db.run(
        reviewing.declare_conflict,
        chosen.assignment_id,
        chosen.email,
        "I advised the lead organisation on this specification.",
    )

    mine = _listing(demo_db, chosen.email)
    item = next(i for i in mine.items if i.assignment_id == chosen.assignment_id)
    assert item.progress == Progress.CONFLICT
    assert "1 conflict declared" in mine.progress_line()
    assert _form(demo_db, chosen).progress == Progress.CONFLICT
    before = fingerprint(demo_path)
    with pytest.raises(BadInput, match="declared a conflict"):
        demo_db.run(
            reviewing.save_draft,
            chosen.assignment_id,
            chosen.email,
            complete_review(demo_db, chosen),
        )
    with pytest.raises(BadInput, match="declared a conflict"):
        demo_db.run(reviewing.submit_review, chosen.assignment_id, chosen.email, True)
    with pytest.raises(BadInput, match="already declared"):
        demo_db.run(reviewing.declare_conflict, chosen.assignment_id, chosen.email, "again")
    assert fingerprint(demo_path) == before


def test_the_round_may_be_left_out_only_when_it_is_the_reviewers_one_round(demo_db):
    chosen = pick(demo_db, Progress.DRAFT)
    with pytest.raises(BadInput, match=f"you have assignments in {ENDORSEMENT}, {GATEWAY}"):
        demo_db.read(reviewing.find_assignment, chosen.email, chosen.submission_ref)
    found = demo_db.read(
        reviewing.find_assignment, chosen.email, chosen.submission_ref, ENDORSEMENT
    )
    assert found == chosen.assignment_id

    with demo_db.transaction() as session:  # leave the reviewer with one round only
        gateway = session.scalar(select(Round.id).where(Round.ref == GATEWAY))
        person = session.scalar(select(Person.id).where(Person.email == chosen.email))
        for assignment in session.scalars(
            select(Assignment).where(Assignment.person_id == person, Assignment.round_id == gateway)
        ):
            session.delete(assignment)

    found = demo_db.read(reviewing.find_assignment, chosen.email, chosen.submission_ref)
    assert found == chosen.assignment_id
    with pytest.raises(BadInput, match="no submission EN-99 in EN-2026-02"):
        demo_db.read(reviewing.find_assignment, chosen.email, "EN-99")


def test_versions_of_a_review_are_counted_once_per_assignment(demo_db):
    chosen = pick(demo_db, Progress.SUBMITTED)
    demo_db.run(reviewing.start_correction, chosen.assignment_id, chosen.email, "Typo")
    with demo_db.reading() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.assignment_id == chosen.assignment_id)
        )
    assert count == 2
    item = next(
        i for i in _listing(demo_db, chosen.email).items if i.assignment_id == chosen.assignment_id
    )
    assert (item.progress, item.version) == (Progress.CORRECTION, 2)
