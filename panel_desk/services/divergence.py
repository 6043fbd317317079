"""Divergence: where a submission's peer reviewers disagree enough that the chair must moderate.

The rule (DESIGN.md): per criterion, a spread (max − min) of the reviewers' points at or
above the threshold on a numeric scale; any disagreement at all on a categorical scale; any
disagreement on the overall recommendation. Only a review that counts takes part: the newest
version of each active assignment's review, when that version is submitted.

Thresholds are data. The most specific one wins:
  1. the round's threshold for this criterion (`Round.criterion_thresholds`),
  2. the criterion's own threshold in the criteria file,
  3. the round's default (`Round.divergence_threshold`),
  4. the criteria set's default.

A whole round (20,000 submissions) is judged in two grouped SQL aggregates, one over scores
and one over recommendations (`divergence_by_submission`); the listing with every
reviewer's value is divergence_report.py. `is_divergent` states the same rule in Python for
one submission's matrix, and the tests hold the two to each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    CriteriaSet,
    Criterion,
    ModerationItem,
    Review,
    ReviewState,
    Round,
    Score,
    Submission,
)

NUMERIC = "numeric"
CATEGORICAL = "categorical"
RECOMMENDATION = "recommendation"
EPSILON = 1e-9
"""Points are stored as floats: a spread equal to the threshold must count as reaching it."""


def reviewer_label(position: int) -> str:
    """R1, R2…: a reviewer's place among the submission's assignments, the same everywhere."""
    return f"R{position}"


# --- thresholds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    criterion_id: int
    criterion_key: str
    value: float
    source: str  # "round, this criterion" | "criteria file, this criterion" | "round" | …


def thresholds_of(session: Session, round_: Round) -> dict[str, Threshold]:
    """The threshold each numeric criterion of the round is judged against."""
    default = session.scalar(
        select(CriteriaSet.divergence_threshold).where(CriteriaSet.id == round_.criteria_set_id)
    )
    assert default is not None
    overrides = round_.criterion_thresholds or {}
    found: dict[str, Threshold] = {}
    for cid, key, own in session.execute(
        select(Criterion.id, Criterion.key, Criterion.divergence_threshold)
        .where(Criterion.criteria_set_id == round_.criteria_set_id, Criterion.scale_kind == NUMERIC)
        .order_by(Criterion.position)
    ):
        if key in overrides:
            found[key] = Threshold(cid, key, float(overrides[key]), "round, this criterion")
        elif own is not None:
            found[key] = Threshold(cid, key, own, "criteria file, this criterion")
        elif round_.divergence_threshold is not None:
            found[key] = Threshold(cid, key, round_.divergence_threshold, "round")
        else:
            found[key] = Threshold(cid, key, default, "criteria set")
    return found


def is_divergent(
    kind: str, values: Sequence[str], points: Sequence[float], threshold: float
) -> bool:
    """The rule for one item, given the values of the reviews that count (missing ones left out)."""
    if kind == NUMERIC:
        return len(points) >= 2 and max(points) - min(points) >= threshold - EPSILON
    return len(set(values)) > 1


# --- the reviews that count -------------------------------------------------------------


def counting(round_id: int, submission_id: int | None = None) -> list[ColumnElement[bool]]:
    """Conditions on Assignment and Review for the reviews that count: the newest version
    of an active assignment's review, when submitted. A correlated NOT EXISTS on the
    (assignment, version) index costs almost nothing, where a grouped max(version)
    subquery would be materialised and joined without an index."""
    newer = aliased(Review)
    where = [
        Assignment.round_id == round_id,
        Assignment.state == AssignmentState.ACTIVE,
        Review.assignment_id == Assignment.id,
        Review.state == ReviewState.SUBMITTED,
        ~exists().where(
            newer.assignment_id == Review.assignment_id, newer.version > Review.version
        ),
    ]
    if submission_id is not None:
        where.append(Assignment.submission_id == submission_id)
    return where


def divergent_scores(
    round_: Round,
    thresholds: dict[int, float],
    with_ids: bool = True,
    submission_id: int | None = None,
) -> Select[Any]:
    """The one grouped aggregate over the round's counting scores: each divergent
    (submission, criterion) with its spread and the ids of its scores.

    Only numeric scales store points, so count(points) tells the kinds apart without a
    join; a categorical item diverges when its lowest and highest value differ, which
    needs no count(DISTINCT). The score ids let the reviewers' values be read by primary
    key afterwards instead of joining the aggregate back to every score.
    """
    # Typed: PostgreSQL cannot guess the type of a bare NULL parameter.
    threshold = (
        case(
            *[
                (Score.criterion_id == cid, literal(value, Float))
                for cid, value in thresholds.items()
            ],
            else_=null(),
        )
        if thresholds
        else cast(null(), Float)
    )
    spread = func.max(Score.points) - func.min(Score.points)
    return (
        select(
            Assignment.submission_id,
            Score.criterion_id,
            spread.label("spread"),
            threshold.label("threshold"),
            (
                func.aggregate_strings(cast(Score.id, String), ",") if with_ids else literal("")
            ).label("scores"),
        )
        .select_from(Assignment)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Score, Score.review_id == Review.id)
        .where(*counting(round_.id, submission_id), Score.value != "")
        .group_by(Assignment.submission_id, Score.criterion_id)
        .having(
            or_(
                and_(func.count(Score.points) >= 2, spread >= threshold - EPSILON),
                and_(func.count(Score.points) == 0, func.min(Score.value) != func.max(Score.value)),
            )
        )
    )


def divergent_recommendations(round_id: int, submission_id: int | None = None) -> Select[Any]:
    """Submissions whose reviewers' overall recommendations differ, with the review ids."""
    return (
        select(
            Assignment.submission_id,
            func.aggregate_strings(cast(Review.id, String), ",").label("reviews"),
        )
        .select_from(Assignment)
        .join(Review, Review.assignment_id == Assignment.id)
        .where(
            *counting(round_id, submission_id),
            Review.recommendation.is_not(None),
            Review.recommendation != "",
        )
        .group_by(Assignment.submission_id)
        .having(func.min(Review.recommendation) != func.max(Review.recommendation))
    )


def reviewer_positions(session: Session, round_id: int) -> dict[int, int]:
    """Assignment id → the reviewer's place (1, 2, …) among the submission's active
    assignments: R1, R2… stay the same whichever reviews have arrived."""
    positions: dict[int, int] = {}
    previous, place = None, 0
    for submission_id, assignment_id in session.connection().execute(
        select(Assignment.submission_id, Assignment.id)
        .where(Assignment.round_id == round_id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Assignment.submission_id, Assignment.id)
    ):
        place = place + 1 if submission_id == previous else 1
        previous = submission_id
        positions[assignment_id] = place
    return positions


def moderated_items(
    session: Session, round_id: int, submission_id: int | None = None
) -> dict[tuple[int, str], tuple[str, str]]:
    """(submission id, item key) → (moderated value, rationale) for the round."""
    query = (
        select(
            ModerationItem.submission_id,
            ModerationItem.item_key,
            ModerationItem.moderated_value,
            ModerationItem.rationale,
        )
        .join(Submission, Submission.id == ModerationItem.submission_id)
        .where(Submission.round_id == round_id)
    )
    if submission_id is not None:
        query = query.where(ModerationItem.submission_id == submission_id)
    return {(s, k): (v, r) for s, k, v, r in session.execute(query)}


def by_threshold(thresholds: dict[str, Threshold]) -> dict[int, float]:
    return {t.criterion_id: t.value for t in thresholds.values()}


# --- per submission, for the moderation list --------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmissionDivergence:
    divergent: tuple[str, ...]  # item keys
    widest: float  # the largest spread over divergent numeric items, in points (0: none)
    ratio: float  # the largest spread ÷ its threshold (0: none), to compare across criteria


def divergence_by_submission(
    session: Session, round_: Round, submission_id: int | None = None
) -> dict[int, SubmissionDivergence]:
    """Which items diverge, per submission of the round (or just `submission_id`): the
    aggregates alone, no values."""
    connection = session.connection()
    keys = dict(
        connection.execute(
            select(Criterion.id, Criterion.key).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    found: dict[int, list[str]] = defaultdict(list)
    widest: dict[int, float] = defaultdict(float)
    ratio: dict[int, float] = defaultdict(float)
    thresholds = by_threshold(thresholds_of(session, round_))
    for sid, cid, spread, threshold, _scores in connection.execute(
        divergent_scores(round_, thresholds, with_ids=False, submission_id=submission_id)
    ).all():
        found[sid].append(keys[cid])
        if threshold:
            widest[sid] = max(widest[sid], spread)
            ratio[sid] = max(ratio[sid], spread / threshold)
    for sid, _reviews in connection.execute(divergent_recommendations(round_.id, submission_id)):
        found[sid].append(RECOMMENDATION_KEY)
    return {
        sid: SubmissionDivergence(tuple(items), widest[sid], ratio[sid])
        for sid, items in found.items()
    }


def set_threshold(
    session: Session,
    round_ref: str,
    value: float | None,
    criterion_key: str | None,
    actor: str,
) -> Threshold | None:
    """Override a threshold for one round (None clears the override); audited."""
    round_ = round_by_ref(session, round_ref)
    if value is not None and not (value > 0 and value < 1000):
        raise BadInput("--value", f"a threshold must be above 0, got {value:g}")
    numeric = thresholds_of(session, round_)
    if criterion_key is not None and criterion_key not in numeric:
        raise BadInput(
            "--criterion",
            f"{criterion_key!r} is not a numeric criterion of {round_ref} "
            f"(one of {', '.join(numeric) or 'none'}); categorical items diverge on any difference",
        )
    before: Any
    if criterion_key is None:
        before = round_.divergence_threshold
        round_.divergence_threshold = value
    else:
        overrides = dict(round_.criterion_thresholds or {})
        before = overrides.get(criterion_key)
        if value is None:
            overrides.pop(criterion_key, None)
        else:
            overrides[criterion_key] = value
        round_.criterion_thresholds = overrides or None
    session.flush()
    audit.record(
        session,
        actor,
        "divergence.threshold_set",
        "round",
        round_.ref,
        {"criterion": criterion_key, "before": before, "after": value},
    )
    return thresholds_of(session, round_).get(criterion_key) if criterion_key else None
