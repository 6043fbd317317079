"""The divergence list of a round: every divergent item with each reviewer's value and comment.

What `panel-desk divergence` prints and `--json` lists. The items come from the grouped
aggregates in divergence.py (which also carry the ids of the scores involved); the values
are then read by primary key, and rows come straight from the connection: the ORM's result
machinery would double the time over a hundred thousand values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, literal, literal_column, select
from sqlalchemy.orm import Session

from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.divergence import (
    NUMERIC,
    RECOMMENDATION,
    Threshold,
    by_threshold,
    divergent_recommendations,
    divergent_scores,
    in_stored_order,
    moderated_items,
    reviewer_positions,
    thresholds_of,
)
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import Assignment, Criterion, Person, Review, Score, Submission


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


def _ids(text: str) -> list[int]:
    return list(map(int, text.split(",")))


def _driver_rows(connection: Connection, query: Select[Any]) -> list[Any]:
    """The query's rows as the driver's plain tuples. Every value here is one we read
    ourselves (ids, thresholds), written into the SQL; SQLAlchemy's result rows cost more
    than the reading itself over a quarter of a million values and comments."""
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _chunks(ids: list[int], size: int = 20_000) -> Iterable[list[int]]:
    """Below every database's limit on bound parameters."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _among(column: ColumnElement[int], ids: list[int]) -> ColumnElement[bool]:
    """`column IN (1, 2, …)` written out: ids we read ourselves are plain integers, and a
    hundred thousand bound parameters cost more to compile than the query takes to run."""
    return column.op("IN")(literal_column("(" + ",".join(str(int(i)) for i in ids) + ")"))


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
    in_order = in_stored_order(session, round_.id)
    labels_of = {n: f"R{n}" for n in set(positions.values())}
    who = (Person.name, Person.email) if reveal else (literal(""), literal(""))

    found: list[tuple[int, str, float | None, list[int]]] = []
    for sid, cid, spread, _threshold, scores in _driver_rows(
        connection,
        divergent_scores(
            round_, by_threshold(thresholds), dialect=connection.dialect.name, in_order=in_order
        ),
    ):
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
        for score_id, assignment_id, value, points, comment, name, email in _driver_rows(
            connection, query
        ):
            label = labels_of[positions[assignment_id]]
            values[score_id] = ReviewerValue(label, value, points, comment, name, email)

    recommendations: dict[int, ReviewerValue] = {}
    for sid, reviews in _driver_rows(
        connection, divergent_recommendations(round_.id, in_order=in_order)
    ):
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
        ) in _driver_rows(
            connection,
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
            .where(_among(Review.id, chunk)),
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


def count_items(items: Iterable[DivergentItem]) -> tuple[int, int]:
    """(divergent, unresolved)."""
    listed = list(items)
    return len(listed), sum(1 for i in listed if not i.resolved)
