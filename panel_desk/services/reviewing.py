"""Peer review from the reviewer's side: drafts, submitting (which locks), corrections as
new versions, and declaring a conflict.

A reviewer reaches only their own active assignments (review_assignments.mine); anything
else is BadInput. A submitted version is never changed again: a correction is a new
version that starts with a reason and must itself be submitted. The rules a review is
judged by live in review_rules.py; what the editor reads in review_views.py; the records a
return carries in review_records.py. The names of review_assignments are re-exported here,
so a caller needs this one module for a reviewer's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit, conflict_declarations
from panel_desk.services.review_assignments import (
    OWN_DECLARATION_RULE,
    Mine,
    MyAssignment,
    MyReviews,
    Progress,
    declared_submissions,
    due_text,
    find_assignment,
    mine,
    my_reviews,
    my_round_refs,
    resolve_round,
)
from panel_desk.services.review_rules import (
    Problem,
    ReviewContent,
    ScoreEntry,
    check_values,
    submission_problems,
)
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    Criterion,
    Review,
    ReviewState,
    Round,
    Score,
)

__all__ = [
    "OWN_DECLARATION_RULE",
    "IncompleteReview",
    "Mine",
    "MyAssignment",
    "MyReviews",
    "Progress",
    "Saved",
    "check_review",
    "content_of",
    "declare_conflict",
    "declared_submissions",
    "discard_correction",
    "due_text",
    "find_assignment",
    "latest_review",
    "mine",
    "my_reviews",
    "my_round_refs",
    "resolve_round",
    "save_draft",
    "start_correction",
    "submit_review",
]


class IncompleteReview(BadInput):
    """A review that may not be submitted yet; `problems` says what, in the form's order."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        count = len(problems)
        summary = "; ".join(p.message for p in problems[:3]) + ("; …" if count > 3 else "")
        super().__init__(source, f"not ready to submit ({count} to do): {summary}")
        self.problems = problems


def latest_review(session: Session, assignment_id: int) -> Review | None:
    return session.scalar(
        select(Review)
        .where(Review.assignment_id == assignment_id)
        .order_by(Review.version.desc())
        .limit(1)
    )


def content_of(session: Session, review: Review) -> ReviewContent:
    rows = session.execute(
        select(Criterion.key, Score.value, Score.comment)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(Score.review_id == review.id)
        .order_by(Criterion.position)
    )
    return ReviewContent(
        tuple(ScoreEntry(k, v, c) for k, v, c in rows),
        review.recommendation or "",
        review.conditions,
        review.comment,
    )


def write_content(session: Session, review: Review, content: ReviewContent) -> bool:
    """Make the stored scores of `review` say `content`; True when anything changed."""
    ids = dict(
        session.execute(
            select(Criterion.key, Criterion.id)
            .join(Assignment, Assignment.id == review.assignment_id)
            .join(Round, Round.id == Assignment.round_id)
            .where(Criterion.criteria_set_id == Round.criteria_set_id)
        ).all()
    )
    numeric = {
        key
        for key, kind in session.execute(
            select(Criterion.key, Criterion.scale_kind).where(Criterion.id.in_(ids.values()))
        )
        if kind == "numeric"
    }
    stored = {
        s.criterion_id: s
        for s in session.scalars(select(Score).where(Score.review_id == review.id))
    }
    changed = False
    for entry in content.scores:
        criterion_id = ids[entry.key]
        score = stored.pop(criterion_id, None)
        if not entry.value and not entry.comment:
            if score is not None:
                session.delete(score)
                changed = True
            continue
        points = float(entry.value) if entry.key in numeric and entry.value else None
        if score is None:
            session.add(
                Score(
                    review_id=review.id,
                    criterion_id=criterion_id,
                    value=entry.value,
                    points=points,
                    comment=entry.comment,
                )
            )
            changed = True
        elif (score.value, score.comment) != (entry.value, entry.comment):
            score.value, score.points, score.comment = entry.value, points, entry.comment
            changed = True
    for score in stored.values():  # criteria the content no longer mentions
        session.delete(score)
        changed = True
    overall = (content.recommendation or None, content.conditions, content.comment)
    if (review.recommendation, review.conditions, review.comment) != overall:
        review.recommendation, review.conditions, review.comment = overall
        changed = True
    return changed


def _refuse_if_conflicted(found: Mine) -> None:
    if found.conflict_declared:
        raise BadInput(
            found.source, "you declared a conflict of interest with it, so it cannot be scored"
        )


@dataclass(frozen=True)
class Saved:
    version: int
    saved_at: datetime
    changed: bool


def save_draft(session: Session, assignment_id: int, email: str, content: ReviewContent) -> Saved:
    """Store `content` as my draft: version 1 on first save, else the open draft version.
    A submitted version is never changed (BadInput: start a correction)."""
    found = mine(session, assignment_id, email)
    _refuse_if_conflicted(found)
    content = check_values(found.criteria, found.recommendation, content, found.source)
    review = latest_review(session, assignment_id)
    if review is not None and review.state == ReviewState.SUBMITTED:
        raise BadInput(
            found.source,
            f"version {review.version} is submitted and cannot be changed; "
            "start a correction (with a reason) to change it",
        )
    if review is None:
        if content.is_blank():
            return Saved(0, utcnow(), False)
        review = Review(assignment_id=assignment_id, version=1, state=ReviewState.DRAFT.value)
        session.add(review)
        session.flush()
        audit.record(session, email, "review.started", "submission", found.source, _who(found, 1))
    if write_content(session, review, content):
        review.updated_at = utcnow()
        session.flush()
        return Saved(review.version, review.updated_at, True)
    return Saved(review.version, review.updated_at, False)


def _who(found: Mine, version: int) -> dict[str, object]:
    return {"round": found.round.ref, "reviewer": found.person.email, "version": version}


def check_review(
    session: Session, assignment_id: int, email: str, certified: bool
) -> list[Problem]:
    """What is missing before my stored draft may be submitted ([] when nothing)."""
    found = mine(session, assignment_id, email)
    review = latest_review(session, assignment_id)
    content = content_of(session, review) if review is not None else ReviewContent()
    return submission_problems(found.criteria, found.recommendation, content, certified)


def submit_review(
    session: Session, assignment_id: int, email: str, certify_no_conflict: bool
) -> int:
    """Validate my draft and lock it; returns the version submitted. IncompleteReview lists
    every problem when it may not be submitted yet."""
    found = mine(session, assignment_id, email)
    _refuse_if_conflicted(found)
    review = latest_review(session, assignment_id)
    if review is not None and review.state == ReviewState.SUBMITTED:
        raise BadInput(found.source, f"version {review.version} is already submitted")
    content = content_of(session, review) if review is not None else ReviewContent()
    problems = submission_problems(
        found.criteria, found.recommendation, content, certify_no_conflict
    )
    if problems or review is None:
        raise IncompleteReview(found.source, problems)
    now = utcnow()
    review.state = ReviewState.SUBMITTED.value
    review.submitted_at = now
    review.updated_at = now
    review.no_conflict_certified = True
    session.flush()
    record_no_conflict_certification(session, found)
    audit.record(
        session,
        email,
        "review.submitted",
        "submission",
        found.source,
        {**_who(found, review.version), "content_sha256": content.ordered(found.criteria).digest()},
    )
    session.flush()
    return review.version


def start_correction(session: Session, assignment_id: int, email: str, reason: str) -> int:
    """Open a new draft version of my submitted review, copied from it, carrying `reason`."""
    found = mine(session, assignment_id, email)
    _refuse_if_conflicted(found)
    if not reason.strip():
        raise BadInput("--reason", "say why the submitted review needs a correction")
    review = latest_review(session, assignment_id)
    if review is None or review.state != ReviewState.SUBMITTED:
        raise BadInput(
            found.source, "only a submitted review is corrected; a draft can simply be edited"
        )
    content = content_of(session, review)
    correction = Review(
        assignment_id=assignment_id,
        version=review.version + 1,
        state=ReviewState.DRAFT.value,
        correction_reason=reason.strip(),
    )
    session.add(correction)
    session.flush()
    write_content(session, correction, content)
    audit.record(
        session,
        email,
        "review.correction_started",
        "submission",
        found.source,
        {**_who(found, correction.version), "reason": reason.strip()},
    )
    session.flush()
    return correction.version


def discard_correction(session: Session, assignment_id: int, email: str) -> int:
    """Drop my unsubmitted correction; the submitted version before it stands. Returns it."""
    found = mine(session, assignment_id, email)
    review = latest_review(session, assignment_id)
    if review is None or review.state != ReviewState.DRAFT or review.version == 1:
        raise BadInput(found.source, "there is no correction in progress to discard")
    version = review.version
    session.delete(review)
    audit.record(
        session,
        email,
        "review.correction_discarded",
        "submission",
        found.source,
        _who(found, version),
    )
    session.flush()
    return version - 1


def declare_conflict(
    session: Session,
    assignment_id: int,
    email: str,
    reason: str,
    declared_on: date | None = None,
    actor: str | None = None,
) -> None:
    """Declare a conflict of interest with an assigned submission: it is then not scored.
    Recorded by conflict_declarations (rule own_declaration), which withdraws the
    assignment and writes the audit event."""
    found = mine(session, assignment_id, email)
    if found.conflict_declared:
        raise BadInput(found.source, "you have already declared a conflict with it")
    if not reason.strip():
        raise BadInput("--reason", "say what the conflict of interest is")
    conflict_declarations.declare_conflict(
        session,
        found.round.ref,
        found.person.email,
        found.submission.ref,
        reason.strip(),
        actor=actor,
        declared_on=declared_on,
    )


def record_no_conflict_certification(session: Session, found: Mine) -> None:
    """The reviewer's "no conflict" certificate, recorded by conflict_declarations: refused
    (BadInput) when a conflict is on record for them and this submission."""
    conflict_declarations.certify_no_conflict(
        session, found.round.ref, found.person.email, found.submission.ref
    )
