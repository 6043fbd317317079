"""The demo's finished round: moderated whole, ranked, and signed off by the EAG.

So a new user can export and open a real decision pack at once. Everything goes through
the same doors people use: the chair's decisions through `save_moderation` (with a
rationale for every divergent item, and each outcome in line with the ranking against the
cut-line), the hub's authority and the members' keys as `keys authority-init`, `keys init`
and enrolment make them, and the signatures through `sign_off`. Where this machine has no
keyring to keep keys in, the round is left awaiting sign-off and the demo says so plainly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from statistics import median

from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import enrolment, keys
from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.divergence import NUMERIC
from panel_desk.services.divergence_report import DivergentItem, round_divergence
from panel_desk.services.moderation import (
    ItemDecision,
    OutcomeDecision,
    effective_outcome,
    save_moderation,
)
from panel_desk.services.ranking import rank_round
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.services.signoff import sign_off
from panel_desk.services.signoff_void import set_round_state
from panel_desk.store.models import RoundState, Submission

ORGANISATION = "Centre for Advancing Practice"

ITEM_RATIONALE = (
    "The panel read the reviews together: {value} reflects the weight of the evidence, and "
    "the outlying view is noted in the feedback."
)
ABOVE = (
    "Ranked {position} of {ranked} with a weighted score of {score}, within the {places} "
    "places the call supports: recommended for supported development."
)
BELOW = (
    "Ranked {position} of {ranked} with a weighted score of {score}, below the cut-line of "
    "{places} places: a valid area of need, but not among the highest priorities this call."
)
NOT_RANKED = "Not ranked ({reason}): the gateway criteria must all be met."
STRONG = (
    "The panel thanks the development group for a clear, well-evidenced proposal. The "
    "moderated scores show a high-priority need at scale that a standardised unit of "
    "learning can meet."
)
STRENGTHEN = (
    "The panel thanks the development group. The proposal might be strengthened on {weak}: "
    "reviewers asked for firmer evidence of the need at scale and a broader, "
    "multi-professional target group."
)
GATEWAY = (
    "The panel thanks the development group. The proposal did not meet every gateway "
    "criterion ({reason}); the expertise of the group might valuably feed into the "
    "development of a related credential specification."
)


def _item(item: DivergentItem) -> ItemDecision:
    values = [v.value for v in item.values]
    if item.kind == NUMERIC:
        value = str(round(median(float(v) for v in values)))
    else:
        value = Counter(values).most_common(1)[0][0]
    return ItemDecision(item.item_key, value, ITEM_RATIONALE.format(value=value))


def _save(session: Session, sid: int, chairs: Sequence[str], **what: object) -> None:
    for chair in chairs:
        try:
            save_moderation(session, sid, chair, **what)  # type: ignore[arg-type]
        except BadInput as exc:
            if exc.source == "--as":
                continue  # this chair reviewed it or is conflicted: the next one decides
            raise
        return
    raise BadInput("demo", f"no chair may moderate submission {sid}")


def moderate_whole_round(
    session: Session, round_ref: str, chairs: Sequence[str], actor: str
) -> None:
    """Every divergent item moderated, then every outcome recorded as the ranking puts it."""
    set_round_state(session, round_by_ref(session, round_ref), RoundState.MODERATION, actor)
    items: dict[int, list[DivergentItem]] = {}
    for item in round_divergence(session, round_ref).items:
        if item.item_key != RECOMMENDATION_KEY:
            items.setdefault(item.submission_id, []).append(item)
    for sid, found in items.items():
        _save(session, sid, chairs, items=[_item(i) for i in found])
    spec = criteria_of(session, round_by_ref(session, round_ref))
    yes, no = spec.recommendation.options[0], spec.recommendation.options[-1]
    ranking = rank_round(session, round_ref)
    labels = {key: label.lower() for key, label, _ in ranking.criteria}
    places = ranking.cutline.places or 0
    words: dict[int, tuple[str, str, str]] = {}
    for r in ranking.ranked:
        why = (ABOVE if r.above else BELOW).format(
            position=r.position, ranked=len(ranking.ranked), score=f"{r.score:.2f}", places=places
        )
        weakest = sorted(zip(r.criterion_scores, labels.values(), strict=True))[:2]
        feedback = (
            STRONG
            if r.above
            else STRENGTHEN.format(weak=" and ".join(label for _, label in weakest))
        )
        words[r.id] = (yes if r.above else no, why, feedback)
    for n in ranking.not_ranked:
        reason = n.reason.replace("not met: ", "not met: ").lower()
        words[n.id] = (no, NOT_RANKED.format(reason=reason), GATEWAY.format(reason=reason))
    for sid, (outcome, why, feedback) in words.items():
        submission = session.get_one(Submission, sid)
        agreed = effective_outcome(session, submission, None)
        decided = [] if agreed == outcome else [ItemDecision(RECOMMENDATION_KEY, outcome, why)]
        _save(session, sid, chairs, items=decided, outcome=OutcomeDecision("", feedback))


def sign_whole_round(session: Session, round_ref: str, eag: Sequence[str], secretariat: str) -> str:
    """The hub's authority and the members' enrolled keys, then signatures up to the quorum.

    Returns what happened, in a sentence for the demo's summary.
    """
    round_ = round_by_ref(session, round_ref)
    set_round_state(session, round_, RoundState.SIGN_OFF, secretariat)
    try:
        if keys.authority_row(session) is None:
            keys.set_up_authority(session, ORGANISATION, secretariat)
        for email in eag:
            keys.create_personal_key(email)
            enrolment.enrol_on_hub(session, email, secretariat)
    except keys.NoSecureKeyring as exc:
        return (
            f"{round_ref} was moderated but left unsigned, awaiting sign-off: this machine has "
            f"no keyring for the signatories' keys. {exc.problem[:1].upper()}{exc.problem[1:]}. "
            "Then sign with `panel-desk signoff`"
        )
    signed, status = [], None
    for email in eag:
        status = sign_off(session, round_ref, email).status
        signed.append(email)
        if status.complete:
            break
    if status is None or not status.complete:
        return f"{round_ref} is awaiting sign-off: {status.headline() if status else 'no EAG'}"
    considered = len(status.decisions.considered)
    return (
        f"{round_ref} is signed off by {', '.join(signed)} ({considered} decisions): "
        f"export its decision pack with `panel-desk pack export --round {round_ref} --out DIR`"
    )
