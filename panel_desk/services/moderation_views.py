"""What the Moderation page shows: the round's submissions by how divergent each is, and
one submission's criteria × reviewers matrix.

The list is a few grouped queries whatever the size of the round (the divergence
aggregates, review counts, moderated items, current outcomes), so a 20,000-submission
round loads in well under a second and sorts in the table model. Reviewers are R1, R2…
unless the chair asks to reveal them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.divergence import (
    NUMERIC,
    RECOMMENDATION,
    counting,
    divergence_by_submission,
    in_stored_order,
    is_divergent,
    moderated_items,
    reviewer_label,
    reviews_first,
    thresholds_of,
)
from panel_desk.services.moderation import chair_for, current_recommendation
from panel_desk.services.rounds import criteria_of
from panel_desk.services.submission_views import Viewer
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    Criterion,
    Organisation,
    Person,
    Recommendation,
    Review,
    ReviewState,
    Role,
    Round,
    Score,
    Submission,
)

MAY_SEE = (Role.MODERATOR, Role.SECRETARIAT, Role.EAG)


def _check_viewer(viewer: Viewer | None) -> None:
    if viewer is not None and viewer.role not in MAY_SEE:
        raise BadInput("moderation", "peer reviewers do not see each other's scores")


# --- the round's list -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModerationRow:
    id: int
    ref: str
    title: str
    reviewers: int
    submitted: int
    divergent: int
    unresolved: int
    widest: float  # the widest divergent spread on a numeric criterion, in points (0: none)
    ratio: float  # that spread ÷ its threshold: how far past the line it is
    outcome: str

    @property
    def needs_moderation(self) -> bool:
        return self.unresolved > 0


def moderation_list(
    session: Session,
    round_id: int,
    viewer: Viewer | None = None,
    submission_id: int | None = None,
) -> list[ModerationRow]:
    """Every submission of the round that has reviewers, most divergent first (or just
    `submission_id`'s row, to refresh it after a save)."""
    _check_viewer(viewer)
    round_ = session.get_one(Round, round_id)
    connection = session.connection()
    one = [Assignment.submission_id == submission_id] if submission_id is not None else []
    divergence = divergence_by_submission(session, round_, submission_id)
    moderated = moderated_items(session, round_id, submission_id)
    assigned = dict(
        connection.execute(
            select(Assignment.submission_id, func.count())
            .where(
                Assignment.round_id == round_id,
                Assignment.state == AssignmentState.ACTIVE,
                *one,
            )
            .group_by(Assignment.submission_id)
        ).all()
    )
    in_order = in_stored_order(session, round_id, submission_id)
    submitted = dict(
        connection.execute(
            select(Assignment.submission_id, func.count())
            .select_from(reviews_first(in_order))
            .where(*counting(round_id, submission_id, listed=in_order))
            .group_by(Assignment.submission_id)
        ).all()
    )
    outcomes = dict(
        connection.execute(
            select(Recommendation.submission_id, Recommendation.outcome)
            .join(Submission, Submission.id == Recommendation.submission_id)
            .where(Submission.round_id == round_id, Recommendation.current.is_(True))
        ).all()
    )
    submissions = select(Submission.id, Submission.ref, Submission.title).where(
        Submission.round_id == round_id
    )
    if submission_id is not None:
        submissions = submissions.where(Submission.id == submission_id)
    rows: list[ModerationRow] = []
    for sid, ref, title in connection.execute(submissions).all():
        if sid not in assigned:
            continue
        found = divergence.get(sid)
        keys = found.divergent if found else ()
        unresolved = sum(1 for k in keys if not _resolved(moderated.get((sid, k))))
        rows.append(
            ModerationRow(
                sid,
                ref,
                title,
                assigned[sid],
                submitted.get(sid, 0),
                len(keys),
                unresolved,
                found.widest if found else 0.0,
                found.ratio if found else 0.0,
                outcomes.get(sid, ""),
            )
        )
    rows.sort(key=lambda r: (-r.unresolved, -r.divergent, -r.ratio, r.ref))
    return rows


def _resolved(decision: tuple[str, str] | None) -> bool:
    return decision is not None and bool(decision[1].strip())


# --- one submission's matrix ------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    label: str  # R1, R2…
    name: str  # "" unless revealed
    email: str
    state: str  # submitted | draft | none
    recommendation: str
    conditions: str
    comment: str

    @property
    def counts(self) -> bool:
        return self.state == ReviewState.SUBMITTED


@dataclass(frozen=True)
class Cell:
    value: str
    points: float | None
    comment: str


@dataclass(frozen=True)
class MatrixRow:
    key: str  # criterion key or "recommendation"
    label: str
    group: str
    kind: str  # numeric | categorical | recommendation
    options: tuple[str, ...]  # the values the scale allows
    passing: tuple[str, ...]
    low: int | None
    high: int | None
    weight: float
    gateway: bool
    threshold: float | None
    cells: tuple[Cell | None, ...]  # one per reviewer; None: no value (draft, missing)
    divergent: bool
    moderated_value: str | None
    rationale: str
    guidance: str = ""  # the criteria set's guidance to reviewers, shown as a tooltip

    @property
    def numeric(self) -> bool:
        return self.kind == NUMERIC

    @property
    def given(self) -> list[Cell]:
        return [c for c in self.cells if c is not None]

    @property
    def spread(self) -> float | None:
        points = [c.points for c in self.given if c.points is not None]
        return max(points) - min(points) if len(points) >= 2 else None

    @property
    def mean(self) -> float | None:
        points = [c.points for c in self.given if c.points is not None]
        return sum(points) / len(points) if points else None

    @property
    def resolved(self) -> bool:
        return self.moderated_value is not None and bool(self.rationale.strip())

    @property
    def needs_moderation(self) -> bool:
        return self.divergent and not self.resolved


@dataclass(frozen=True)
class Outcome:
    outcome: str
    conditions: str
    feedback: str
    rationale: str
    version: int
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class SubmissionModeration:
    id: int
    ref: str
    title: str
    lead: str
    round_ref: str
    competitive: bool
    reviewers: tuple[Reviewer, ...]
    rows: tuple[MatrixRow, ...]
    outcome: Outcome | None
    outcome_options: tuple[str, ...]
    with_conditions: tuple[str, ...]
    unanimous: str | None  # the reviewers' recommendation, when they all agree
    revealed: bool
    may_moderate: bool
    why_not: str  # why the viewer may not moderate, when they may not

    @property
    def divergent(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.divergent]

    @property
    def unresolved(self) -> list[MatrixRow]:
        return [r for r in self.rows if r.needs_moderation]


def submission_moderation(
    session: Session, submission_id: int, viewer: Viewer | None = None, reveal: bool = False
) -> SubmissionModeration:
    _check_viewer(viewer)
    if reveal and viewer is not None and viewer.role not in (Role.MODERATOR, Role.SECRETARIAT):
        raise BadInput("reveal", "only the chair or the secretariat may reveal the reviewers")
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("submission", f"no submission {submission_id}")
    round_ = session.get_one(Round, submission.round_id)
    spec = criteria_of(session, round_)
    thresholds = thresholds_of(session, round_)
    lead = session.get_one(Organisation, submission.lead_organisation_id).name

    # Every active assignment is a column, in assignment order (R1, R2…); its newest
    # review, whatever its state, says what the reviewer has done so far.
    newest = (
        select(Review.assignment_id, func.max(Review.version).label("version"))
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.submission_id == submission_id)
        .group_by(Review.assignment_id)
        .subquery()
    )
    people = session.execute(
        select(Assignment.id, Person.name, Person.email, Review)
        .join(Person, Person.id == Assignment.person_id)
        .outerjoin(newest, newest.c.assignment_id == Assignment.id)
        .outerjoin(
            Review,
            (Review.assignment_id == Assignment.id) & (Review.version == newest.c.version),
        )
        .where(
            Assignment.submission_id == submission_id,
            Assignment.state == AssignmentState.ACTIVE,
        )
        .order_by(Assignment.id)
    ).all()
    reviewers: list[Reviewer] = []
    review_column: dict[int, int] = {}
    for column, (_aid, name, email, review) in enumerate(people):
        counts = review is not None and review.state == ReviewState.SUBMITTED
        if counts:
            review_column[review.id] = column
        reviewers.append(
            Reviewer(
                reviewer_label(column + 1),
                name if reveal else "",
                email if reveal else "",
                review.state if review is not None else "none",
                (review.recommendation or "") if counts else "",
                review.conditions if counts else "",
                review.comment if counts else "",
            )
        )
    cells: dict[int, list[Cell | None]] = defaultdict(lambda: [None] * len(reviewers))
    for review_id, criterion_id, value, points, comment in session.execute(
        select(Score.review_id, Score.criterion_id, Score.value, Score.points, Score.comment)
        .where(Score.review_id.in_(list(review_column)))
        .where(Score.value != "")
    ):
        cells[criterion_id][review_column[review_id]] = Cell(value, points, comment)

    moderated = moderated_items(session, round_.id, submission_id)
    rows: list[MatrixRow] = []
    for criterion in session.scalars(
        select(Criterion)
        .where(Criterion.criteria_set_id == round_.criteria_set_id)
        .order_by(Criterion.position)
    ):
        given = cells[criterion.id]
        scale = spec.criterion(criterion.key).scale
        threshold = thresholds[criterion.key].value if criterion.key in thresholds else None
        present = [c for c in given if c is not None]
        divergent = is_divergent(
            criterion.scale_kind,
            [c.value for c in present],
            [c.points for c in present if c.points is not None],
            threshold or 0.0,
        )
        value, rationale = moderated.get((submission_id, criterion.key), (None, ""))
        rows.append(
            MatrixRow(
                criterion.key,
                criterion.label,
                criterion.group,
                criterion.scale_kind,
                scale.values(),
                scale.passing,
                scale.min,
                scale.max,
                criterion.weight,
                criterion.gateway,
                threshold,
                tuple(given),
                divergent,
                value,
                rationale,
                " ".join(criterion.guidance.split()),
            )
        )
    recommended = [
        Cell(r.recommendation, None, r.comment) if r.counts and r.recommendation else None
        for r in reviewers
    ]
    given_recommendations = [c.value for c in recommended if c is not None]
    value, rationale = moderated.get((submission_id, RECOMMENDATION_KEY), (None, ""))
    rows.append(
        MatrixRow(
            RECOMMENDATION_KEY,
            spec.recommendation.label,
            "Overall",
            RECOMMENDATION,
            spec.recommendation.options,
            spec.recommendation.passing,
            None,
            None,
            0.0,
            False,
            None,
            tuple(recommended),
            is_divergent(RECOMMENDATION, given_recommendations, [], 0.0),
            value,
            rationale,
        )
    )
    agreed = Counter(given_recommendations)
    unanimous = next(iter(agreed)) if len(agreed) == 1 else None

    current = current_recommendation(session, submission_id)
    outcome = None
    if current is not None:
        chair = session.get_one(Person, current.decided_by_id)
        outcome = Outcome(
            current.outcome,
            current.conditions,
            current.feedback,
            current.rationale,
            current.version,
            chair.name,
            current.decided_at,
        )
    may, why = True, ""
    if viewer is None or viewer.role != Role.MODERATOR:
        may, why = False, "Only a moderation panel chair records moderated decisions."
    else:
        try:
            chair_for(session, viewer.email, submission)
        except BadInput as refused:
            may, why = False, refused.problem
    return SubmissionModeration(
        id=submission.id,
        ref=submission.ref,
        title=submission.title,
        lead=lead,
        round_ref=round_.ref,
        competitive=spec.competitive,
        reviewers=tuple(reviewers),
        rows=tuple(rows),
        outcome=outcome,
        outcome_options=spec.recommendation.options,
        with_conditions=spec.recommendation.with_conditions,
        unanimous=unanimous,
        revealed=reveal,
        may_moderate=may,
        why_not=why,
    )
