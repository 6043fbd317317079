"""What the review editor shows: the form of one assignment (criteria, scale, guidance, the
current values), its versions, and the differences between two versions.

Reading only; the changes are in reviewing.py. `version_history` and `compare_versions`
take no reviewer, for the hub (the secretariat sees every version of every review);
the `my_…` functions check the acting reviewer owns the assignment first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services.review_rules import (
    CriterionForm,
    Difference,
    RecommendationForm,
    ReviewContent,
    criteria_forms,
    differences,
)
from panel_desk.services.reviewing import Progress, content_of, find_assignment, mine
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import criteria_of
from panel_desk.store.models import (
    Assignment,
    Person,
    Review,
    ReviewState,
    Role,
    Round,
    Submission,
)


@dataclass(frozen=True)
class VersionSummary:
    version: int
    state: str
    correction_reason: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None

    @property
    def submitted(self) -> bool:
        return self.state == ReviewState.SUBMITTED


@dataclass(frozen=True)
class ReviewForm:
    """One assignment's review as the editor shows it: its latest version (or a blank form)."""

    assignment_id: int
    submission_id: int
    submission_ref: str
    submission_title: str
    round_ref: str
    criteria: tuple[CriterionForm, ...]
    recommendation: RecommendationForm
    progress: Progress
    content: ReviewContent
    versions: tuple[VersionSummary, ...]

    @property
    def current(self) -> VersionSummary | None:
        return self.versions[-1] if self.versions else None

    @property
    def editable(self) -> bool:
        return self.progress in (Progress.NOT_STARTED, Progress.DRAFT, Progress.CORRECTION)

    def criterion(self, key: str) -> CriterionForm:
        return next(c for c in self.criteria if c.key == key)


def _summaries(session: Session, assignment_id: int) -> list[VersionSummary]:
    return [
        VersionSummary(
            r.version, r.state, r.correction_reason, r.created_at, r.updated_at, r.submitted_at
        )
        for r in session.scalars(
            select(Review).where(Review.assignment_id == assignment_id).order_by(Review.version)
        )
    ]


def review_form(session: Session, assignment_id: int, email: str) -> ReviewForm:
    """My review of one assignment, ready for the editor."""
    found = mine(session, assignment_id, email)
    versions = _summaries(session, assignment_id)
    latest = versions[-1] if versions else None
    if found.conflict_declared:
        progress = Progress.CONFLICT
    elif latest is None:
        progress = Progress.NOT_STARTED
    elif latest.submitted:
        progress = Progress.SUBMITTED
    else:
        progress = Progress.DRAFT if latest.version == 1 else Progress.CORRECTION
    content = ReviewContent()
    if latest is not None:
        content = content_of(session, _review(session, assignment_id, latest.version))
    return ReviewForm(
        assignment_id=assignment_id,
        submission_id=found.submission.id,
        submission_ref=found.submission.ref,
        submission_title=found.submission.title,
        round_ref=found.round.ref,
        criteria=found.criteria,
        recommendation=found.recommendation,
        progress=progress,
        content=content.ordered(found.criteria),
        versions=tuple(versions),
    )


def _review(session: Session, assignment_id: int, version: int) -> Review:
    review = session.scalar(
        select(Review).where(Review.assignment_id == assignment_id, Review.version == version)
    )
    if review is None:
        raise BadInput("--version", f"there is no version {version} of this review")
    return review


@dataclass(frozen=True)
class VersionComparison:
    submission_ref: str
    reviewer: str
    before: VersionSummary
    after: VersionSummary
    differences: tuple[Difference, ...]


def version_history(session: Session, assignment_id: int) -> list[VersionSummary]:
    """Every version of the review of an assignment, oldest first (the hub's view)."""
    if session.get(Assignment, assignment_id) is None:
        raise NotFound("assignment", f"no assignment {assignment_id}")
    return _summaries(session, assignment_id)


def compare_versions(
    session: Session, assignment_id: int, before: int, after: int
) -> VersionComparison:
    """What changed from version `before` to version `after` (the hub's view)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("assignment", f"no assignment {assignment_id}")
    round_ = session.get_one(Round, assignment.round_id)
    criteria, recommendation = criteria_forms(criteria_of(session, round_))
    old, new = _review(session, assignment_id, before), _review(session, assignment_id, after)
    summaries = {s.version: s for s in _summaries(session, assignment_id)}
    return VersionComparison(
        session.get_one(Submission, assignment.submission_id).ref,
        session.get_one(Person, assignment.person_id).email,
        summaries[before],
        summaries[after],
        tuple(
            differences(
                criteria, recommendation, content_of(session, old), content_of(session, new)
            )
        ),
    )


def my_versions(session: Session, assignment_id: int, email: str) -> list[VersionSummary]:
    mine(session, assignment_id, email)
    return _summaries(session, assignment_id)


def my_comparison(
    session: Session, assignment_id: int, email: str, before: int, after: int
) -> VersionComparison:
    mine(session, assignment_id, email)
    return compare_versions(session, assignment_id, before, after)


def hub_assignment(
    session: Session,
    acting_email: str,
    reviewer_email: str,
    submission_ref: str,
    round_ref: str | None = None,
) -> int:
    """Someone's assignment, for the secretariat or a moderation chair to read its versions."""
    acting = person_by_email(session, acting_email)
    if not {r.role for r in acting.roles} & {Role.SECRETARIAT, Role.MODERATOR}:
        raise BadInput(
            "--reviewer", "only the secretariat or a moderation chair reads others' reviews"
        )
    return find_assignment(session, reviewer_email, submission_ref, round_ref)
