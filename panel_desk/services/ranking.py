"""Ranking a competitive round against its cut-line, with the same ranking by other methods.

Who is ranked: a submission with submitted reviews that passes every gateway criterion —
on each, the chair's moderated value where there is one, otherwise every reviewer's value
on the passing side. A gateway item the reviewers disagree on and nobody has moderated
keeps the submission out of the ranking until it is moderated ("gateway undecided").

The official score is the weighted mean over the prioritisation criteria of the moderated
score: the chair's moderated value where there is one, otherwise the mean of the
submitted reviews' points.

Tie-breaks, in this order (they are shown to the panel and written into the CSV):
  1. the higher weighted score (compared to 9 decimal places);
  2. the higher score on the criterion with the largest weight, then the next largest,
     and so on (equal weights in the criteria file's order);
  3. the more consistent assessment: the smaller mean spread (max − min) of the
     reviewers' points over the weighted criteria;
  4. otherwise the submissions are tied: they share a rank, are listed by reference, and a
     tie that straddles the cut-line is reported so the chair can decide it openly by
     moving the line with a rationale.

The cut-line (ranking_cutline.py): the round's places, or, when the round has a budget and
no places, as many submissions in rank order as the budget covers. The chair may move the
line only with a rationale; the move is recorded on the round and in the audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import mean

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.criteria import CriteriaSpec
from panel_desk.services.divergence import counting, moderated_items
from panel_desk.services.moderation import MAX_TEXT
from panel_desk.services.ranking_cutline import CutLine, above, cutline_of, requested_support
from panel_desk.services.ranking_methods import (
    BORDA,
    MEDIAN,
    METHODS,
    SCHULZE,
    borda_scores,
    median_scores,
    order_by,
    pairwise,
    schulze_beaten,
    weighted,
)
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    Criterion,
    PersonRole,
    Review,
    Role,
    Round,
    Score,
    Submission,
)

TIE_BREAKS = (
    "higher weighted score",
    "higher score on the most heavily weighted criterion, then the next",
    "more consistent assessment (smaller mean spread of reviewers' points)",
    "still tied: shared rank, listed by reference",
)
GATEWAY_NOT_MET = "gateway not met"
GATEWAY_UNDECIDED = "gateway undecided"
INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class RankedSubmission:
    id: int
    ref: str
    title: str
    position: int  # 1, 2, … in the official order
    rank: int  # shared by tied submissions
    tied: bool
    score: float
    criterion_scores: tuple[float, ...]  # in Ranking.criteria order
    moderated: tuple[bool, ...]
    spread: float
    reviews: int
    cost: Decimal | None
    above: bool | None  # None when there is no cut-line
    method_positions: tuple[int, ...]  # in METHODS order
    method_above: tuple[bool | None, ...]

    @property
    def changes_side(self) -> bool:
        return self.above is not None and any(a != self.above for a in self.method_above)


@dataclass(frozen=True, slots=True)
class NotRanked:
    id: int
    ref: str
    title: str
    status: str  # GATEWAY_NOT_MET | GATEWAY_UNDECIDED | INCOMPLETE
    reason: str


@dataclass(frozen=True)
class Ranking:
    round_ref: str
    round_title: str
    criteria: tuple[tuple[str, str, float], ...]  # (key, label, weight)
    ranked: tuple[RankedSubmission, ...]
    not_ranked: tuple[NotRanked, ...]
    cutline: CutLine
    tie_at_line: bool
    tie_breaks: tuple[str, ...] = TIE_BREAKS
    methods: tuple[str, ...] = METHODS
    robust: dict[str, int] = field(default_factory=dict)

    @property
    def changes_side(self) -> list[RankedSubmission]:
        return [r for r in self.ranked if r.changes_side]


def _competitive_round(session: Session, round_ref: str) -> Round:
    round_ = round_by_ref(session, round_ref)
    if not criteria_of(session, round_).competitive:
        raise BadInput("--round", f"{round_ref} is not a competitive round: nothing to rank")
    return round_


def rank_round(session: Session, round_ref: str) -> Ranking:
    round_ = _competitive_round(session, round_ref)
    spec = criteria_of(session, round_)
    connection = session.connection()
    criteria = list(
        session.scalars(
            select(Criterion)
            .where(Criterion.criteria_set_id == round_.criteria_set_id)
            .order_by(Criterion.position)
        )
    )
    gateway = {c.id: c for c in criteria if c.gateway}
    weights = {c.key: c.weight for c in criteria if c.weight > 0 and c.scale_kind == "numeric"}
    weighted_ids = {c.id: c.key for c in criteria if c.key in weights}
    order = sorted(weights, key=lambda k: -weights[k])  # stable: file order for equal weights
    moderated = moderated_items(session, round_.id)
    titles = {
        sid: (ref, title)
        for sid, ref, title in connection.execute(
            select(Submission.id, Submission.ref, Submission.title).where(
                Submission.round_id == round_.id
            )
        )
    }

    # Gateway: per submission and gateway criterion, how many values and how many pass.
    passing = case(
        *[
            (Score.criterion_id == cid, Score.value.in_(c.passing or []))
            for cid, c in gateway.items()
        ],
        else_=False,
    )
    gates: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    if gateway:
        for sid, cid, given, passed in connection.execute(
            select(
                Assignment.submission_id,
                Score.criterion_id,
                func.count(),
                func.sum(case((passing, 1), else_=0)),
            )
            .select_from(Assignment)
            .join(Review, Review.assignment_id == Assignment.id)
            .join(Score, Score.review_id == Review.id)
            .where(*counting(round_.id), Score.criterion_id.in_(list(gateway)))
            .group_by(Assignment.submission_id, Score.criterion_id)
        ):
            gates[sid][gateway[cid].key] = (given, passed or 0)

    # Weighted criteria: every counting review's points, per submission and per reviewer.
    points: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    ballots: dict[int, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    reviews: dict[int, set[int]] = defaultdict(set)
    for sid, person, cid, value in connection.execute(
        select(Assignment.submission_id, Assignment.person_id, Score.criterion_id, Score.points)
        .select_from(Assignment)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(Score, Score.review_id == Review.id)
        .where(
            *counting(round_.id),
            Score.criterion_id.in_(list(weighted_ids)),
            Score.points.is_not(None),
        )
    ):
        key = weighted_ids[cid]
        points[sid][key].append(value)
        ballots[person][sid][key] = value
        reviews[sid].add(person)

    gateway_keys = [c.key for c in gateway.values()]
    labels = {c.key: c.label for c in criteria}
    eligible: list[int] = []
    not_ranked: list[NotRanked] = []
    chair_values: dict[int, dict[str, float]] = {}
    for sid in sorted(set(gates) | set(points), key=lambda s: titles[s][0]):
        ref, title = titles[sid]
        status, reason = _gateway_status(sid, gateway_keys, gates[sid], moderated, spec, labels)
        if status is None:
            chair = {
                key: float(moderated[(sid, key)][0])
                for key in weights
                if (sid, key) in moderated and moderated[(sid, key)][1].strip()
            }
            missing = [labels[k] for k in weights if k not in chair and not points[sid].get(k)]
            if missing:
                status, reason = INCOMPLETE, "no score on " + "; ".join(missing)
            else:
                chair_values[sid] = chair
                eligible.append(sid)
                continue
        not_ranked.append(NotRanked(sid, ref, title, status, reason))

    per_criterion: dict[int, dict[str, float]] = {}
    spreads: dict[int, float] = {}
    for sid in eligible:
        chair = chair_values[sid]
        per_criterion[sid] = {
            key: chair[key] if key in chair else mean(points[sid][key]) for key in weights
        }
        given = [v for v in points[sid].values() if v]
        spreads[sid] = mean(max(v) - min(v) for v in given) if given else 0.0
    official = {sid: weighted(per_criterion[sid], weights) or 0.0 for sid in eligible}

    def sort_key(sid: int) -> tuple[object, ...]:
        return (
            -round(official[sid], 9),
            *(-round(per_criterion[sid][k], 9) for k in order),
            round(spreads[sid], 9),
        )

    eligible.sort(key=lambda sid: (*sort_key(sid), titles[sid][0]))
    ranks: list[int] = []
    for n, sid in enumerate(eligible):
        same = n > 0 and sort_key(eligible[n - 1]) == sort_key(sid)
        ranks.append(ranks[-1] if same else n + 1)
    tied = [
        (n > 0 and ranks[n - 1] == ranks[n]) or (n + 1 < len(ranks) and ranks[n + 1] == ranks[n])
        for n in range(len(ranks))
    ]

    costs = requested_support(session, round_.id) if round_.budget is not None else {}
    alternatives = {
        MEDIAN: order_by(
            eligible,
            median_scores(
                {sid: points[sid] for sid in eligible},
                {sid: chair_values[sid] for sid in eligible},
                weights,
            ),
        ),
    }
    member_ballots = []
    for by_submission in ballots.values():
        ballot = {
            sid: s
            for sid, scores in by_submission.items()
            if sid in official and (s := weighted(scores, weights)) is not None
        }
        if len(ballot) >= 2:
            member_ballots.append(ballot)
    alternatives[BORDA] = order_by(eligible, borda_scores(member_ballots, eligible))
    beaten = schulze_beaten(eligible, pairwise(member_ballots))
    alternatives[SCHULZE] = order_by(eligible, {sid: float(beaten[sid]) for sid in eligible})

    line = cutline_of(round_, eligible, costs)
    above_by_method = {m: above(o, line, costs) for m, o in alternatives.items()}
    official_above = above(eligible, line, costs)
    positions = {m: {sid: n + 1 for n, sid in enumerate(o)} for m, o in alternatives.items()}
    ranked = tuple(
        RankedSubmission(
            id=sid,
            ref=titles[sid][0],
            title=titles[sid][1],
            position=n + 1,
            rank=ranks[n],
            tied=tied[n],
            score=official[sid],
            criterion_scores=tuple(per_criterion[sid][k] for k in weights),
            moderated=tuple(k in chair_values[sid] for k in weights),
            spread=spreads[sid],
            reviews=len(reviews[sid]),
            cost=costs.get(sid),
            above=official_above.get(sid),
            method_positions=tuple(positions[m][sid] for m in METHODS),
            method_above=tuple(above_by_method[m].get(sid) for m in METHODS),
        )
        for n, sid in enumerate(eligible)
    )
    cut = sum(1 for r in ranked if r.above)
    tie_at_line = (
        line.places is not None
        and 0 < cut < len(ranked)
        and ranked[cut - 1].rank == ranked[cut].rank
    )
    robust = {
        "above": sum(1 for r in ranked if r.above and all(r.method_above)),
        "below": sum(1 for r in ranked if r.above is False and not any(r.method_above)),
        "changes_side": sum(1 for r in ranked if r.changes_side),
    }
    return Ranking(
        round_.ref,
        round_.title,
        tuple((k, labels[k], weights[k]) for k in weights),
        ranked,
        tuple(not_ranked),
        line,
        tie_at_line,
        robust=robust,
    )


def _gateway_status(
    sid: int,
    keys: Sequence[str],
    gates: dict[str, tuple[int, int]],
    moderated: dict[tuple[int, str], tuple[str, str]],
    spec: CriteriaSpec,
    labels: dict[str, str],
) -> tuple[str | None, str]:
    """(None, "") when the submission passes every gateway criterion, else why not."""
    failed, undecided, missing = [], [], []
    for key in keys:
        decision = moderated.get((sid, key))
        if decision is not None and decision[1].strip():
            if decision[0] not in spec.criterion(key).scale.passing:
                failed.append(labels[key])
            continue
        given, passed = gates.get(key, (0, 0))
        if given == 0:
            missing.append(labels[key])
        elif passed == given:
            continue
        elif passed == 0:
            failed.append(labels[key])
        else:
            undecided.append(labels[key])
    if failed:
        return GATEWAY_NOT_MET, "not met: " + "; ".join(failed)
    if undecided:
        return GATEWAY_UNDECIDED, "reviewers disagree, not yet moderated: " + "; ".join(undecided)
    if missing:
        return INCOMPLETE, "no value on " + "; ".join(missing)
    return None, ""


# --- moving the cut-line -------------------------------------------------------------


def move_cutline(
    session: Session, round_ref: str, places: int | None, rationale: str, chair_email: str
) -> Ranking:
    """The chair moves the line to `places` above it (None: back where the round's places
    or budget put it). A rationale is required either way; the move is audited."""
    round_ = _competitive_round(session, round_ref)
    person = person_by_email(session, chair_email)
    roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id)))
    if Role.MODERATOR not in roles:
        raise BadInput(
            "--as",
            f"{person.email} is not on the moderation panel: only the chair moves the cut-line",
        )
    why = rationale.strip()
    if not why:
        raise BadInput("--rationale", "moving the cut-line needs a rationale")
    if len(why) > MAX_TEXT:
        raise BadInput("--rationale", f"is longer than {MAX_TEXT} characters")
    if places is not None and not 0 <= places <= 10_000:
        raise BadInput("--places", f"must be from 0 to 10000, got {places}")
    before = round_.cutline_places
    round_.cutline_places = places
    round_.cutline_rationale = why if places is not None else ""
    round_.cutline_moved_by = person.email if places is not None else ""
    round_.cutline_moved_at = utcnow() if places is not None else None
    session.flush()
    audit.record(
        session,
        person.email,
        "ranking.cutline_moved" if places is not None else "ranking.cutline_reset",
        "round",
        round_.ref,
        {"from": before, "to": places, "official": round_.places, "rationale": why},
    )
    return rank_round(session, round_ref)
