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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Join,
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
from sqlalchemy.ext.compiler import compiles
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


def counting(
    round_id: int, submission_id: int | None = None, listed: bool = False
) -> list[ColumnElement[bool]]:
    """Conditions on Assignment and Review for the reviews that count: the newest version
    of an active assignment's review, when submitted.

    A correlated NOT EXISTS on the (assignment, version) index costs a few index seeks a
    review: right for one submission or a small round. `listed`, for a whole big round
    read in stored order: the superseded versions are listed once instead (a grouped pass
    over that index, then a seek for the few assignments with a later version) and each
    review is checked against the list; a seek for each of a round's 80,000 reviews cost
    about a tenth of the divergence read."""
    where = [
        Assignment.round_id == round_id,
        Assignment.state == AssignmentState.ACTIVE,
        Review.assignment_id == Assignment.id,
        Review.state == ReviewState.SUBMITTED,
    ]
    if submission_id is not None:
        where.append(Assignment.submission_id == submission_id)
    if listed:
        where.append(Review.id.not_in(superseded()))
    else:
        newer = aliased(Review)
        where.append(
            ~exists().where(
                newer.assignment_id == Review.assignment_id, newer.version > Review.version
            )
        )
    return where


def superseded() -> Select[Any]:
    """The ids of reviews with a later version of the same assignment's review."""
    latest = (
        select(Review.assignment_id, func.max(Review.version).label("version"))
        .group_by(Review.assignment_id)
        .having(func.count() > 1)
        .subquery()
    )
    older = aliased(Review)
    return select(older.id).join(
        latest,
        and_(older.assignment_id == latest.c.assignment_id, older.version < latest.c.version),
    )


class InOrder(Join):
    """An inner join whose tables SQLite must visit in the order written (CROSS JOIN:
    SQLite's planner never reorders it); a plain JOIN elsewhere.

    A round's scores are read fastest from its reviews in the order they were stored:
    each review's scores then sit next to the previous review's, where the planner's own
    choice (the round's assignments first) jumps about the score table and reads every
    page many times over."""

    inherit_cache = True


@compiles(InOrder, "sqlite")
def _cross_join(join: InOrder, compiler: Any, **kw: Any) -> str:
    kw.pop("asfrom", None)
    return (
        join.left._compiler_dispatch(compiler, asfrom=True, **kw)
        + " CROSS JOIN "
        + join.right._compiler_dispatch(compiler, asfrom=True, **kw)
        + " ON "
        + join.onclause._compiler_dispatch(compiler, **kw)
    )


def reviews_first(in_order: bool, with_scores: bool = False) -> FromClause:
    """Review, Assignment (and Score, when asked) for a query over the reviews that count:
    from the reviews in stored order when `in_order` (InOrder, see in_stored_order), else
    as the planner likes (from the round's or the submission's assignments)."""
    on_assignment = Assignment.id == Review.assignment_id
    on_review = Score.review_id == Review.id
    if not in_order:
        found = Assignment.__table__.join(Review.__table__, on_assignment)
        return found.join(Score.__table__, on_review) if with_scores else found
    found = InOrder(Review.__table__, Assignment.__table__, on_assignment)
    return InOrder(found, Score.__table__, on_review) if with_scores else found


def in_stored_order(session: Session, round_id: int, submission_id: int | None = None) -> bool:
    """Whether to read the round from every review in stored order: for a whole round
    holding a fair share of the database's reviews. Walking the reviews costs a little
    for each review of other rounds too, so a small round beside a big one (or one
    submission) is read from its own assignments, which an index finds."""
    if submission_id is not None:
        return False
    assigned = session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.round_id == round_id)
    )
    reviews = session.scalar(select(func.count()).select_from(Review))
    return (assigned or 0) * 4 >= (reviews or 0)


def divergent_scores(
    round_: Round,
    thresholds: dict[int, float],
    with_ids: bool = True,
    submission_id: int | None = None,
    dialect: str = "",
    in_order: bool = False,
) -> Select[Any]:
    """The one grouped aggregate over the round's counting scores: each divergent
    (submission, criterion) with its spread and the ids of its scores.

    A criterion with a threshold is numeric, the others categorical. Only numeric scales
    store points (and every numeric value has them), so on SQLite, whose columns take any
    type, one column serves both kinds: the points where there are some, else the value.
    The sort behind the GROUP BY then carries one value a row instead of two and the
    aggregates are three instead of five. A categorical item diverges when its lowest and
    highest value differ, which needs no count(DISTINCT). The score ids let the reviewers'
    values be read by primary key afterwards instead of joining the aggregate back to
    every score.
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
    if dialect == "sqlite":
        given: ColumnElement[Any] = func.coalesce(Score.points, Score.value)
        spread = func.max(given) - func.min(given)
        divergent = case(
            (threshold.is_(None), func.min(given) != func.max(given)),
            else_=and_(func.count() >= 2, spread >= threshold - EPSILON),
        )
    else:
        spread = func.max(Score.points) - func.min(Score.points)
        divergent = or_(
            and_(func.count(Score.points) >= 2, spread >= threshold - EPSILON),
            and_(func.count(Score.points) == 0, func.min(Score.value) != func.max(Score.value)),
        )
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
        .select_from(reviews_first(in_order, with_scores=True))
        .where(*counting(round_.id, submission_id, listed=in_order), Score.value != "")
        .group_by(Assignment.submission_id, Score.criterion_id)
        .having(divergent)
    )


def divergent_recommendations(
    round_id: int, submission_id: int | None = None, in_order: bool = False
) -> Select[Any]:
    """Submissions whose reviewers' overall recommendations differ, with the review ids."""
    return (
        select(
            Assignment.submission_id,
            func.aggregate_strings(cast(Review.id, String), ",").label("reviews"),
        )
        .select_from(reviews_first(in_order))
        .where(
            *counting(round_id, submission_id, listed=in_order),
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
    aggregates alone, no values.

    The divergent items are gathered per submission in SQL too (which criteria, the widest
    spread, how far past its threshold), so Python reads one row a submission rather than
    one an item: a round's 50,000 items cost more to turn into Python rows than to find."""
    connection = session.connection()
    keys = dict(
        connection.execute(
            select(Criterion.id, Criterion.key).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    in_order = in_stored_order(session, round_.id, submission_id)
    items = divergent_scores(
        round_,
        by_threshold(thresholds_of(session, round_)),
        with_ids=False,
        submission_id=submission_id,
        dialect=connection.dialect.name,
        in_order=in_order,
    ).subquery()
    numeric = items.c.threshold.is_not(None)
    per_submission = select(
        items.c.submission_id,
        func.aggregate_strings(cast(items.c.criterion_id, String), ","),
        func.max(case((numeric, items.c.spread), else_=null())),
        func.max(case((numeric, items.c.spread / items.c.threshold), else_=null())),
    ).group_by(items.c.submission_id)
    found: dict[int, SubmissionDivergence] = {}
    named: dict[str, tuple[str, ...]] = {}  # "6,8" → its keys: a round has few such sets
    for sid, criteria, widest, ratio in connection.execute(per_submission):
        divergent = named.get(criteria)
        if divergent is None:
            ids = sorted(int(cid) for cid in criteria.split(","))
            divergent = named[criteria] = tuple(keys[cid] for cid in ids)
        found[sid] = SubmissionDivergence(divergent, widest or 0.0, ratio or 0.0)
    for sid, _reviews in connection.execute(
        divergent_recommendations(round_.id, submission_id, in_order)
    ):
        was = found.get(sid)
        found[sid] = (
            SubmissionDivergence((*was.divergent, RECOMMENDATION_KEY), was.widest, was.ratio)
            if was
            else SubmissionDivergence((RECOMMENDATION_KEY,), 0.0, 0.0)
        )
    return found


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
