"""A reviewer's assignments: which are mine in a round, where each stands, and the one
guard every change passes (`mine`: my own, active assignment, with its criteria).

It works on whatever database holds the round: the hub, or a reviewer's own database set
up from a packet. A conflict declared by the reviewer keeps the assignment in the list
(shown as such) but shuts it to scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services.conflict_rules import OWN_DECLARATION
from panel_desk.services.review_rules import CriterionForm, RecommendationForm, criteria_forms
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    ConflictStatus,
    Organisation,
    Person,
    Review,
    ReviewState,
    Round,
    Stage,
    Submission,
)

OWN_DECLARATION_RULE = OWN_DECLARATION.key
"""The conflict rule a reviewer's own declaration is recorded under."""


class Progress(StrEnum):
    """Where one of my assignments stands."""

    NOT_STARTED = "not_started"
    DRAFT = "draft"
    CORRECTION = "correction"  # a draft version begun after a submitted one
    SUBMITTED = "submitted"
    CONFLICT = "conflict_declared"

    @property
    def label(self) -> str:
        return {
            Progress.NOT_STARTED: "not started",
            Progress.DRAFT: "draft",
            Progress.CORRECTION: "correction in progress",
            Progress.SUBMITTED: "submitted",
            Progress.CONFLICT: "conflict declared",
        }[self]


@dataclass(frozen=True)
class MyAssignment:
    assignment_id: int
    submission_id: int
    submission_ref: str
    title: str
    lead: str
    progress: Progress
    version: int | None
    updated_at: datetime | None
    submitted_at: datetime | None


def due_text(deadline: date | None) -> str:
    return f"{deadline.day} {deadline:%b %Y}" if deadline else ""


@dataclass(frozen=True)
class MyReviews:
    round_id: int
    round_ref: str
    round_title: str
    stage_label: str
    deadline: date | None
    items: tuple[MyAssignment, ...]

    @property
    def to_review(self) -> int:
        return sum(1 for i in self.items if i.progress != Progress.CONFLICT)

    @property
    def submitted(self) -> int:
        return sum(1 for i in self.items if i.progress == Progress.SUBMITTED)

    def progress_line(self, today: date | None = None) -> str:
        """'3 of 5 submitted · reviews due 30 Nov 2026'."""
        parts = [f"{self.submitted} of {self.to_review} submitted"]
        conflicts = len(self.items) - self.to_review
        if conflicts:
            parts.append(f"{conflicts} conflict{'s' * (conflicts != 1)} declared")
        if self.deadline:
            late = (today or date.today()) > self.deadline and self.submitted < self.to_review
            parts.append(
                f"reviews were due {due_text(self.deadline)} — overdue"
                if late
                else f"reviews due {due_text(self.deadline)}"
            )
        return " · ".join(parts)


# --- finding my assignments -----------------------------------------------------------------


def _latest_versions():
    return (
        select(Review.assignment_id, func.max(Review.version).label("version"))
        .group_by(Review.assignment_id)
        .subquery()
    )


def declared_submissions(session: Session, person_id: int, round_id: int) -> set[int]:
    """The submissions of the round this person declared a conflict with."""
    return set(
        session.scalars(
            select(ConflictFlag.submission_id).where(
                ConflictFlag.person_id == person_id,
                # `+ 0` keeps SQLite on the person's index: a large round holds hundreds of
                # thousands of flags, a person a handful (50 ms a call became 0.1 ms).
                ConflictFlag.round_id + 0 == round_id,
                ConflictFlag.rule == OWN_DECLARATION_RULE,
                ConflictFlag.status == ConflictStatus.DECLARED,
            )
        )
    )


def my_round_refs(session: Session, email: str) -> list[str]:
    """The rounds in which this person has assignments."""
    person = person_by_email(session, email)
    return list(
        session.scalars(
            select(Round.ref)
            .join(Assignment, Assignment.round_id == Round.id)
            .where(Assignment.person_id == person.id)
            .distinct()
            .order_by(Round.ref)
        )
    )


def resolve_round(session: Session, email: str, round_ref: str | None) -> Round:
    """The round named, or the only one in which this reviewer has assignments."""
    if round_ref:
        return round_by_ref(session, round_ref)
    refs = my_round_refs(session, email)
    if len(refs) != 1:
        found = f"you have assignments in {', '.join(refs)}" if refs else "you have no assignments"
        raise BadInput("--round", f"say which round: {found}")
    return round_by_ref(session, refs[0])


def my_reviews(session: Session, email: str, round_id: int) -> MyReviews:
    """My assignments in a round, each with where it stands (one query for all)."""
    person = person_by_email(session, email)
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round", f"no round {round_id}")
    declared = declared_submissions(session, person.id, round_id)
    latest = _latest_versions()
    rows = session.execute(
        select(
            Assignment.id,
            Assignment.state,
            Submission.id,
            Submission.ref,
            Submission.title,
            Organisation.name,
            Review.version,
            Review.state,
            Review.updated_at,
            Review.submitted_at,
        )
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Organisation, Organisation.id == Submission.lead_organisation_id)
        .outerjoin(latest, latest.c.assignment_id == Assignment.id)
        .outerjoin(
            Review,
            and_(Review.assignment_id == Assignment.id, Review.version == latest.c.version),
        )
        .where(Assignment.person_id == person.id, Assignment.round_id == round_id)
        .order_by(Submission.ref)
    )
    items = []
    for aid, a_state, sid, ref, title, lead, version, r_state, updated, submitted in rows:
        if sid in declared:
            progress = Progress.CONFLICT
        elif a_state != AssignmentState.ACTIVE:
            continue
        elif version is None:
            progress = Progress.NOT_STARTED
        elif r_state == ReviewState.SUBMITTED:
            progress = Progress.SUBMITTED
        else:
            progress = Progress.DRAFT if version == 1 else Progress.CORRECTION
        items.append(
            MyAssignment(aid, sid, ref, title, lead, progress, version, updated, submitted)
        )
    return MyReviews(
        round_.id,
        round_.ref,
        round_.title,
        Stage(round_.stage).label,
        round_.review_deadline,
        tuple(items),
    )


def find_assignment(
    session: Session, email: str, submission_ref: str, round_ref: str | None = None
) -> int:
    """My assignment to the submission `submission_ref` (in `round_ref`, or my only round)."""
    round_ = resolve_round(session, email, round_ref)
    person = person_by_email(session, email)
    row = session.execute(
        select(Assignment.id, Assignment.state, Submission.id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(
            Submission.round_id == round_.id,
            Submission.ref == submission_ref,
            Assignment.person_id == person.id,
        )
    ).first()
    if row is None:
        known = session.scalar(
            select(Submission.id).where(
                Submission.round_id == round_.id, Submission.ref == submission_ref
            )
        )
        problem = (
            f"{submission_ref} is not assigned to you in {round_.ref}"
            if known
            else f"no submission {submission_ref} in {round_.ref}"
        )
        raise BadInput("--submission", problem)
    assignment_id, state, submission_id = row
    if state != AssignmentState.ACTIVE and submission_id not in declared_submissions(
        session, person.id, round_.id
    ):
        raise BadInput("--submission", f"{submission_ref} is no longer assigned to you")
    return assignment_id


# --- one assignment ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mine:
    """An assignment the acting reviewer may work on, with what it needs."""

    assignment: Assignment
    person: Person
    submission: Submission
    round: Round
    criteria: tuple[CriterionForm, ...]
    recommendation: RecommendationForm
    conflict_declared: bool

    @property
    def source(self) -> str:
        return self.submission.ref


def mine(session: Session, assignment_id: int, email: str) -> Mine:
    """The assignment if it is the reviewer's own and active; BadInput otherwise."""
    assignment = session.get(Assignment, assignment_id)
    person = person_by_email(session, email)
    declared = False
    if assignment is not None and assignment.person_id == person.id:
        declared = assignment.submission_id in declared_submissions(
            session, person.id, assignment.round_id
        )
    if (
        assignment is None
        or assignment.person_id != person.id
        or (assignment.state != AssignmentState.ACTIVE and not declared)
    ):
        raise BadInput("assignment", f"{assignment_id} is not one of your active assignments")
    round_ = session.get_one(Round, assignment.round_id)
    criteria, recommendation = criteria_forms(criteria_of(session, round_))
    return Mine(
        assignment,
        person,
        session.get_one(Submission, assignment.submission_id),
        round_,
        criteria,
        recommendation,
        declared,
    )
