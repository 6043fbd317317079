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
and one over recommendations; reviewers' values are then read only for the items that
diverge. `is_divergent` states the same rule in Python for one submission's matrix, and the
tests hold the two to each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
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
    Person,
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


class ReviewerValue(NamedTuple):
    """One reviewer's value on one item (a named tuple: a round holds a hundred thousand)."""

    reviewer: str  # R1, R2…
    value: str
    points: float | None
    comment: str
    name: str = ""  # only when the reviewers are revealed
    email: str = ""

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"reviewer": self.reviewer, "value": self.value}
        if self.points is not None:
            found["points"] = self.points
        found["comment"] = self.comment
        if self.email:
            found["name"], found["email"] = self.name, self.email
        return found


@dataclass(frozen=True)
class DivergentItem:
    submission_id: int
    submission_ref: str
    item_key: str  # a criterion key, or "recommendation"
    label: str
    kind: str  # numeric | categorical | recommendation
    spread: float | None  # numeric items only
    threshold: float | None
    values: tuple[ReviewerValue, ...]
    moderated_value: str | None
    rationale: str

    @property
    def resolved(self) -> bool:
        return self.moderated_value is not None and bool(self.rationale.strip())

    def as_json(self) -> dict[str, Any]:
        return {
            "submission": self.submission_ref,
            "item": self.item_key,
            "label": self.label,
            "kind": self.kind,
            "spread": self.spread,
            "threshold": self.threshold,
            "values": [v.as_json() for v in self.values],
            "moderated_value": self.moderated_value,
            "rationale": self.rationale,
            "resolved": self.resolved,
        }


@dataclass(frozen=True)
class RoundDivergence:
    round_ref: str
    thresholds: tuple[Threshold, ...]
    items: tuple[DivergentItem, ...]

    @property
    def unresolved(self) -> list[DivergentItem]:
        return [i for i in self.items if not i.resolved]

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round_ref,
            "thresholds": {
                t.criterion_key: {"value": t.value, "source": t.source} for t in self.thresholds
            },
            "divergent_items": len(self.items),
            "unresolved": len(self.unresolved),
            "submissions": len({i.submission_id for i in self.items}),
            "items": [i.as_json() for i in self.items],
        }


def _divergent_scores(
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
    threshold = (
        case(
            *[(Score.criterion_id == cid, literal(value)) for cid, value in thresholds.items()],
            else_=literal(None),
        )
        if thresholds
        else literal(None)
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


def _divergent_recommendations(round_id: int, submission_id: int | None = None) -> Select[Any]:
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


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def _chunks(ids: list[int], size: int = 20_000) -> Iterable[list[int]]:
    """Below every database's limit on bound parameters."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _among(column: ColumnElement[int], ids: list[int]) -> ColumnElement[bool]:
    """`column IN (1, 2, …)` written out: ids we read ourselves are plain integers, and a
    hundred thousand bound parameters cost more to compile than the query takes to run."""
    return column.op("IN")(literal_column("(" + ",".join(str(int(i)) for i in ids) + ")"))


def _by_threshold(thresholds: dict[str, Threshold]) -> dict[int, float]:
    return {t.criterion_id: t.value for t in thresholds.values()}


def round_divergence(
    session: Session, round_ref: str, reveal: bool = False, unresolved_only: bool = False
) -> RoundDivergence:
    """Every divergent item of the round, with each reviewer's value and comment.

    One aggregate over the scores and one over the recommendations find the items; the
    values are then read by primary key. Core rows straight from the connection: the
    ORM's result machinery would double the time over a hundred thousand values.
    """
    round_ = round_by_ref(session, round_ref)
    connection = session.connection()
    thresholds = thresholds_of(session, round_)
    criteria = {
        c.id: c
        for c in session.scalars(
            select(Criterion).where(Criterion.criteria_set_id == round_.criteria_set_id)
        )
    }
    positions = reviewer_positions(session, round_.id)
    labels_of = {n: f"R{n}" for n in set(positions.values())}
    who = (Person.name, Person.email) if reveal else (literal(""), literal(""))

    found: list[tuple[int, str, float | None, list[int]]] = []
    for sid, cid, spread, _threshold, scores in connection.execute(
        _divergent_scores(round_, _by_threshold(thresholds))
    ).all():
        numeric = criteria[cid].scale_kind == NUMERIC
        found.append((sid, criteria[cid].key, spread if numeric else None, _ids(scores)))
    values: dict[int, ReviewerValue] = {}
    for chunk in _chunks([i for *_, ids in found for i in ids]):
        query = (
            select(Score.id, Review.assignment_id, Score.value, Score.points, Score.comment, *who)
            .join(Review, Review.id == Score.review_id)
            .where(_among(Score.id, chunk))
        )
        if reveal:
            query = query.join(Assignment, Assignment.id == Review.assignment_id).join(
                Person, Person.id == Assignment.person_id
            )
        for score_id, assignment_id, value, points, comment, name, email in connection.execute(
            query
        ).all():
            label = labels_of[positions[assignment_id]]
            values[score_id] = ReviewerValue(label, value, points, comment, name, email)

    recommendations: dict[int, ReviewerValue] = {}
    for sid, reviews in connection.execute(_divergent_recommendations(round_.id)):
        found.append((sid, RECOMMENDATION_KEY, None, [-i for i in _ids(reviews)]))
    review_ids = [-i for *_, ids in found for i in ids if i < 0]
    for chunk in _chunks(review_ids):
        for (
            review_id,
            assignment_id,
            recommendation,
            conditions,
            comment,
            name,
            email,
        ) in connection.execute(
            select(
                Review.id,
                Review.assignment_id,
                Review.recommendation,
                Review.conditions,
                Review.comment,
                *who,
            )
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Review.id.in_(chunk))
        ):
            note = f"{comment}\nConditions: {conditions}".strip() if conditions else comment
            recommendations[-review_id] = ReviewerValue(
                labels_of[positions[assignment_id]], recommendation or "", None, note, name, email
            )
    values.update(recommendations)

    refs = dict(
        connection.execute(
            select(Submission.id, Submission.ref).where(Submission.round_id == round_.id)
        ).all()
    )
    moderated = moderated_items(session, round_.id)
    labels = {c.key: (c.position, c.label, c.scale_kind) for c in criteria.values()}
    last = (len(labels), "Overall recommendation", RECOMMENDATION)
    found.sort(key=lambda f: (refs[f[0]], labels.get(f[1], last)[0]))
    items: list[DivergentItem] = []
    for sid, key, spread, ids in found:
        moderated_value, rationale = moderated.get((sid, key), (None, ""))
        if unresolved_only and moderated_value is not None and rationale.strip():
            continue
        given = sorted((values[i] for i in ids), key=_place)
        _, label, kind = labels.get(key, last)
        items.append(
            DivergentItem(
                submission_id=sid,
                submission_ref=refs[sid],
                item_key=key,
                label=label,
                kind=kind,
                spread=spread,
                threshold=thresholds[key].value if key in thresholds else None,
                values=tuple(given),
                moderated_value=moderated_value,
                rationale=rationale,
            )
        )
    return RoundDivergence(round_.ref, tuple(thresholds.values()), tuple(items))


def _place(value: ReviewerValue) -> int:
    return int(value.reviewer[1:])


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
    thresholds = _by_threshold(thresholds_of(session, round_))
    for sid, cid, spread, threshold, _scores in connection.execute(
        _divergent_scores(round_, thresholds, with_ids=False, submission_id=submission_id)
    ).all():
        found[sid].append(keys[cid])
        if threshold:
            widest[sid] = max(widest[sid], spread)
            ratio[sid] = max(ratio[sid], spread / threshold)
    for sid, _reviews in connection.execute(_divergent_recommendations(round_.id, submission_id)):
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


def count_items(items: Iterable[DivergentItem]) -> tuple[int, int]:
    """(divergent, unresolved)."""
    listed = list(items)
    return len(listed), sum(1 for i in listed if not i.resolved)
