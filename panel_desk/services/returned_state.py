"""What the hub holds of the reviewers whose returns it applies: their assignments,
declarations, the versions it already has and the conflict facts, read for many reviewers
in a few queries (returned_batch.py explains why).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from panel_desk.services.bulk_rows import fetch_rows
from panel_desk.services.conflict_rules import PersonFacts, SubmissionFacts, load_facts
from panel_desk.services.review_assignments import OWN_DECLARATION_RULE
from panel_desk.services.review_records import VersionRecord
from panel_desk.services.review_rules import (
    CriterionForm,
    RecommendationForm,
    ReviewContent,
    ScoreEntry,
    criteria_forms,
)
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    ConflictStatus,
    Criterion,
    Person,
    Review,
    Round,
    Score,
    Submission,
)


class Assigned(NamedTuple):
    """A reviewer's assignment (a named tuple: a round has 80,000, read at every import)."""

    assignment_id: int
    submission_id: int
    active: bool


@dataclass
class Reviewer:
    """One reviewer's standing in the round, as the hub holds it."""

    person_id: int
    email: str
    assignments: dict[str, Assigned]  # by submission ref
    declared: set[int]  # submissions they declared a conflict with
    reviewed: set[int]  # assignments of which the hub holds versions


@dataclass(frozen=True, slots=True)
class Held:
    review_id: int
    record: VersionRecord


@dataclass(frozen=True, slots=True)
class Scales:
    """The round's values in their canonical spelling, as sets, for judging a return's
    well-formed reviews in one look (returned_reviews._passes); anything else goes to
    review_rules' own checks."""

    values: dict[str, frozenset[str]]  # criterion key → its scale's values
    canonical: dict[str, frozenset[str]]  # … and blank, as check_values leaves them
    commented: dict[str, frozenset[str]]  # criterion key → values that need a comment
    recommendations: frozenset[str]  # options, as RecommendationForm.normalise leaves them
    conditional: frozenset[str]  # options that need conditions

    @classmethod
    def of(cls, criteria: tuple[CriterionForm, ...], recommendation: RecommendationForm) -> Scales:
        return cls(
            {c.key: frozenset(c.values) for c in criteria},
            {c.key: frozenset(c.values) | {""} for c in criteria},
            {c.key: frozenset(v for v in c.values if c.needs_comment(v)) for c in criteria},
            frozenset(o for o in recommendation.options if recommendation.normalise(o) == o),
            frozenset(recommendation.with_conditions),
        )


@dataclass
class HubRound:
    """A round's criteria, and what is known of the reviewers being applied in it."""

    round: Round
    criteria: tuple[CriterionForm, ...]
    recommendation: RecommendationForm
    criterion_ids: dict[str, int]
    numeric: frozenset[str]
    scales: Scales
    points: dict[str, dict[str, float]]  # criterion key → a numeric scale's values as points
    reviewers: dict[str, Reviewer] = field(default_factory=dict)
    people_facts: dict[int, PersonFacts] = field(default_factory=dict)
    submission_facts: dict[int, SubmissionFacts] = field(default_factory=dict)
    facts_base: Any = None  # the round's RoundFacts (cutoff, shared domains, matcher)
    # (person, submission) → [(rule, evidence as stored, status)] for assigned pairs
    flags: dict[tuple[int, int], list[tuple[str, str, str]]] = field(default_factory=dict)


def hub_round(session: Session, round_ref: str) -> HubRound:
    round_ = round_by_ref(session, round_ref)
    criteria, recommendation = criteria_forms(criteria_of(session, round_))
    ids = dict(
        session.execute(
            select(Criterion.key, Criterion.id).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    numeric = frozenset(c.key for c in criteria if c.numeric)
    points = {c.key: {v: float(v) for v in c.values} if c.numeric else {} for c in criteria}
    scales = Scales.of(criteria, recommendation)
    return HubRound(round_, criteria, recommendation, ids, numeric, scales, points)


def _chunks(values: list[Any], size: int = 5_000) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_reviewers(session: Session, hub: HubRound, emails: list[str]) -> None:
    """Read, for everyone in `emails` on the roster, their assignments, declarations,
    reviews held and conflict facts: a few queries, however many people."""
    people: dict[int, str] = {}
    for chunk in _chunks(sorted(set(emails))):
        people.update(
            session.execute(select(Person.id, Person.email).where(Person.email.in_(chunk))).all()
        )
    if not people:
        return
    round_id = hub.round.id
    found = {pid: Reviewer(pid, email, {}, set(), set()) for pid, email in people.items()}
    ids = list(people)
    submission_ids: set[int] = set()
    flags: dict[tuple[int, int], list[tuple[str, str, str]]] = {}
    for chunk in _chunks(ids):
        for pid, aid, sid, ref, state in fetch_rows(
            session,
            select(
                Assignment.person_id,
                Assignment.id,
                Submission.id,
                Submission.ref,
                Assignment.state,
            )
            .join(Submission, Submission.id == Assignment.submission_id)
            .where(Assignment.round_id == round_id, Assignment.person_id.in_(chunk)),
        ):
            found[pid].assignments[ref] = Assigned(aid, sid, state == AssignmentState.ACTIVE)
            submission_ids.add(sid)
        for pid, sid in session.execute(
            select(ConflictFlag.person_id, ConflictFlag.submission_id).where(
                ConflictFlag.person_id.in_(chunk),
                ConflictFlag.round_id + 0 == round_id,  # the person's index (see reviewing)
                ConflictFlag.rule == OWN_DECLARATION_RULE,
                ConflictFlag.status == ConflictStatus.DECLARED,
            )
        ):
            found[pid].declared.add(sid)
        for pid, aid in session.execute(
            select(Assignment.person_id, Assignment.id)
            .where(Assignment.round_id == round_id, Assignment.person_id.in_(chunk))
            .where(select(Review.id).where(Review.assignment_id == Assignment.id).exists())
        ):
            found[pid].reviewed.add(aid)
        for pid, sid, rule, evidence, status in fetch_rows(
            session,
            select(
                ConflictFlag.person_id,
                ConflictFlag.submission_id,
                ConflictFlag.rule,
                cast(ConflictFlag.evidence, String),
                ConflictFlag.status,
            )
            .join(
                Assignment,
                (Assignment.person_id == ConflictFlag.person_id)
                & (Assignment.submission_id == ConflictFlag.submission_id),
            )
            .where(
                Assignment.round_id == round_id,
                Assignment.person_id.in_(chunk),
                ConflictFlag.round_id == round_id,
            ),
        ):
            flags.setdefault((pid, sid), []).append((rule, evidence, status))
    if hub.flags:  # read again: drop what was known of these people's pairs
        for pair in [p for p in hub.flags if p[0] in people]:
            del hub.flags[pair]
    hub.flags.update(flags)
    # The facts the conflict rules read, for these people and their submissions.
    facts = load_facts(session, hub.round, ids, sorted(submission_ids))
    hub.facts_base = hub.facts_base or facts
    hub.people_facts.update(facts.people)
    hub.submission_facts.update({s.id: s for s in facts.submissions})
    for reviewer in found.values():
        hub.reviewers[reviewer.email] = reviewer


def held_versions(
    session: Session, hub: HubRound, assignment_ids: Iterable[int]
) -> dict[int, list[Held]]:
    """Assignment → the versions the hub holds, oldest first, with their content."""
    wanted = sorted(set(assignment_ids))
    if not wanted:
        return {}
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.assignment_id.in_(wanted))
            .order_by(Review.assignment_id, Review.version)
        )
    )
    scores: dict[int, list[ScoreEntry]] = {}
    for review_id, key, value, comment in session.execute(
        select(Score.review_id, Criterion.key, Score.value, Score.comment)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(Score.review_id.in_([r.id for r in reviews]))
        .order_by(Score.review_id, Criterion.position)
    ):
        scores.setdefault(review_id, []).append(ScoreEntry(key, value, comment))
    held: dict[int, list[Held]] = {}
    for r in reviews:
        content = ReviewContent(
            tuple(scores.get(r.id, ())), r.recommendation or "", r.conditions, r.comment
        )
        record = VersionRecord(
            r.version,
            r.state,
            content,
            r.no_conflict_certified,
            r.correction_reason,
            r.created_at,
            r.updated_at,
            r.submitted_at,
        )
        held.setdefault(r.assignment_id, []).append(Held(r.id, record))
    return held
