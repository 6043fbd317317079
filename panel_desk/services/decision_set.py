"""The recommendation set of a round: what the Education Assurance Group signs.

One canonical document per round: the round and its criteria set, the cut-line, and per
submission the current recommendation (outcome, conditions, rationale, feedback and its
version), the moderated score on each criterion and the place in the ranking. The SHA-256
of its canonical JSON is the digest every sign-off signature covers; a decision pack
carries the very same bytes as recommendations.json, so anyone can recompute it.

Whatever would change what is published changes the digest — an outcome, a moderated
value, a corrected review, the cut-line — and signatures over the old digest stop
counting (services/signoff.py). Scores and ranking scores are written as fixed-point text,
so the bytes never depend on how a float prints.

A submission is *considered* when reviewers were assigned to it or it has a moderated
recommendation; one held back at screening is listed as not considered, with why. A
considered submission without a current recommendation is a problem: sign-off waits.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.crypto.signing import canonical_json
from panel_desk.services.criteria import CriteriaSpec
from panel_desk.services.divergence import counting, moderated_items
from panel_desk.services.ranking import rank_round
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    Criterion,
    Organisation,
    Recommendation,
    Review,
    Round,
    Score,
    ScreeningState,
    Stage,
    Submission,
)

FORMAT = 1
KIND = "panel_desk-recommendation-set"


@dataclass(frozen=True, slots=True)
class CriterionLine:
    key: str
    label: str
    group: str
    scale: str  # "met / not met", "1–5"
    weight: float
    gateway: bool


@dataclass(frozen=True, slots=True)
class ModeratedScore:
    key: str
    value: str  # the chair's value, the reviewers' common value, or their mean points
    moderated: bool  # the chair's moderated value (with a rationale)
    rationale: str


@dataclass(frozen=True, slots=True)
class Place:
    """Where a submission of a competitive round stands."""

    position: int | None  # 1, 2, … in the official order; None when not ranked
    rank: int | None
    tied: bool
    score: str  # the weighted score, fixed-point text ("" when not ranked)
    above: bool | None  # above the cut-line (None: no line, or not ranked)
    status: str  # "ranked", or why not ("gateway not met", …)
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    ref: str
    title: str
    lead: str
    considered: bool
    note: str  # why it was not considered, or what is missing
    version: int | None
    outcome: str
    conditions: str
    rationale: str
    feedback: str
    successful: bool  # the outcome is on the passing side
    scores: tuple[ModeratedScore, ...]
    place: Place | None
    reviews: int


@dataclass(frozen=True)
class DecisionSet:
    round_id: int
    round_ref: str
    round_title: str
    stage: str
    stage_label: str
    state: str
    competitive: bool
    quorum: int
    spec: CriteriaSpec
    criteria: tuple[CriterionLine, ...]
    cutline: dict[str, Any] | None
    decisions: tuple[Decision, ...]
    problems: tuple[str, ...]
    document: dict[str, Any]
    digest: str

    @property
    def considered(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.considered)

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.document)


def digest_of(document: Any) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def _scale_text(criterion: Criterion) -> str:
    if criterion.scale_kind == "numeric":
        return f"{criterion.min_value}–{criterion.max_value}"
    return " / ".join(criterion.options or [])


def _places(session: Session, round_: Round, competitive: bool) -> tuple[dict[int, Place], Any]:
    if not competitive:
        return {}, None
    ranking = rank_round(session, round_.ref)
    places = {
        r.id: Place(r.position, r.rank, r.tied, f"{r.score:.3f}", r.above, "ranked", "")
        for r in ranking.ranked
    }
    for n in ranking.not_ranked:
        places[n.id] = Place(None, None, False, "", None, n.status, n.reason)
    line = ranking.cutline
    cutline = {
        "places": line.places,
        "basis": line.basis,
        "official": line.official,
        "moved": line.moved,
        "rationale": line.rationale,
        "moved_by": line.moved_by,
        "budget": None if line.budget is None else str(line.budget),
        "note": line.note,
    }
    return places, cutline


def _scores(session: Session, round_: Round, criteria: list[Criterion]) -> dict[int, list[Any]]:
    """Per submission: (criterion id, mean points, lowest value, highest value) of the
    reviews that count, in one grouped query."""
    found: dict[int, list[Any]] = defaultdict(list)
    for sid, cid, mean, low, high in session.execute(
        select(
            Assignment.submission_id,
            Score.criterion_id,
            func.avg(Score.points),
            func.min(Score.value),
            func.max(Score.value),
        )
        .select_from(Assignment)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Score, Score.review_id == Review.id)
        .where(*counting(round_.id))
        .group_by(Assignment.submission_id, Score.criterion_id)
    ):
        found[sid].append((cid, mean, low, high))
    return found


def _moderated_scores(
    sid: int,
    criteria: list[Criterion],
    given: list[Any],
    moderated: dict[tuple[int, str], tuple[str, str]],
) -> tuple[ModeratedScore, ...]:
    by_id = {cid: (mean, low, high) for cid, mean, low, high in given}
    out = []
    for c in criteria:
        decision = moderated.get((sid, c.key))
        if decision is not None and decision[1].strip():
            out.append(ModeratedScore(c.key, decision[0], True, decision[1]))
            continue
        if c.id not in by_id:
            out.append(ModeratedScore(c.key, "", False, ""))
            continue
        mean, low, high = by_id[c.id]
        if c.scale_kind == "numeric" and mean is not None:
            value = f"{mean:.2f}"
        else:
            value = low if low == high else f"{low} / {high} (divided)"
        out.append(ModeratedScore(c.key, value, False, ""))
    return tuple(out)


def build_decision_set(session: Session, round_ref: str) -> DecisionSet:
    """The round's recommendation set as it stands now, with its digest."""
    round_ = round_by_ref(session, round_ref)
    spec = criteria_of(session, round_)
    criteria = list(
        session.scalars(
            select(Criterion)
            .where(Criterion.criteria_set_id == round_.criteria_set_id)
            .order_by(Criterion.position)
        )
    )
    rows = session.execute(
        select(
            Submission.id,
            Submission.ref,
            Submission.title,
            Organisation.name,
            Submission.screening_state,
        )
        .join(Organisation, Organisation.id == Submission.lead_organisation_id)
        .where(Submission.round_id == round_.id)
        .order_by(Submission.ref)
    ).all()
    assigned = set(
        session.scalars(
            select(Assignment.submission_id).where(
                Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE
            )
        )
    )
    current = {
        r.submission_id: r
        for r in session.scalars(
            select(Recommendation)
            .join(Submission, Submission.id == Recommendation.submission_id)
            .where(Submission.round_id == round_.id, Recommendation.current.is_(True))
        )
    }
    reviews = dict(
        session.execute(
            select(Assignment.submission_id, func.count())
            .select_from(Assignment)
            .join(Review, Review.assignment_id == Assignment.id)
            .where(*counting(round_.id))
            .group_by(Assignment.submission_id)
        ).all()
    )
    given = _scores(session, round_, criteria)
    moderated = moderated_items(session, round_.id)
    places, cutline = _places(session, round_, spec.competitive)

    decisions: list[Decision] = []
    problems: list[str] = []
    for sid, ref, title, lead, screening in rows:
        rec = current.get(sid)
        considered = rec is not None or sid in assigned
        note = ""
        if not considered:
            state = ScreeningState(screening).label
            note = f"not considered at this stage (screening: {state})"
        elif rec is None:
            note = "no moderated outcome and feedback recorded yet"
            problems.append(f"{ref}: {note}")
        decisions.append(
            Decision(
                id=sid,
                ref=ref,
                title=title,
                lead=lead,
                considered=considered,
                note=note,
                version=rec.version if rec else None,
                outcome=rec.outcome if rec else "",
                conditions=rec.conditions if rec else "",
                rationale=rec.rationale if rec else "",
                feedback=rec.feedback if rec else "",
                successful=bool(rec and rec.outcome in spec.recommendation.passing),
                scores=_moderated_scores(sid, criteria, given.get(sid, []), moderated)
                if considered
                else (),
                place=places.get(sid),
                reviews=reviews.get(sid, 0),
            )
        )
    lines = tuple(
        CriterionLine(c.key, c.label, c.group, _scale_text(c), c.weight, c.gateway)
        for c in criteria
    )
    document = _document(round_, spec, lines, cutline, decisions)
    return DecisionSet(
        round_id=round_.id,
        round_ref=round_.ref,
        round_title=round_.title,
        stage=round_.stage,
        stage_label=Stage(round_.stage).label,
        state=round_.state,
        competitive=spec.competitive,
        quorum=round_.signoff_quorum,
        spec=spec,
        criteria=lines,
        cutline=cutline,
        decisions=tuple(decisions),
        problems=tuple(problems),
        document=document,
        digest=digest_of(document),
    )


def _document(
    round_: Round,
    spec: CriteriaSpec,
    criteria: tuple[CriterionLine, ...],
    cutline: dict[str, Any] | None,
    decisions: list[Decision],
) -> dict[str, Any]:
    def place(p: Place | None) -> dict[str, Any] | None:
        if p is None:
            return None
        return {
            "position": p.position,
            "rank": p.rank,
            "tied": p.tied,
            "score": p.score,
            "above_cutline": p.above,
            "status": p.status,
            "reason": p.reason,
        }

    return {
        "format": FORMAT,
        "kind": KIND,
        "round": {
            "ref": round_.ref,
            "title": round_.title,
            "stage": round_.stage,
            "criteria_set": {"title": spec.title, "version": spec.version, "sha256": spec.sha256},
            "competitive": spec.competitive,
            "places": round_.places,
            "budget": None if round_.budget is None else str(round_.budget),
            "signoff_quorum": round_.signoff_quorum,
        },
        "criteria": [
            {"key": c.key, "label": c.label, "weight": f"{c.weight:.4f}", "gateway": c.gateway}
            for c in criteria
        ],
        "cutline": cutline,
        "submissions": [
            {
                "ref": d.ref,
                "title": d.title,
                "lead_organisation": d.lead,
                "considered": d.considered,
                "note": d.note,
                "recommendation": None
                if d.version is None
                else {
                    "version": d.version,
                    "outcome": d.outcome,
                    "conditions": d.conditions,
                    "rationale": d.rationale,
                    "feedback": d.feedback,
                },
                "scores": {
                    s.key: {"value": s.value, "moderated": s.moderated, "rationale": s.rationale}
                    for s in d.scores
                },
                "ranking": place(d.place),
            }
            for d in decisions
        ],
    }
