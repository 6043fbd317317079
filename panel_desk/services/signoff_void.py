"""Voiding sign-off when what was signed changes, and the round state that follows.

Any change to a recommendation after a signature voids the round's signatures in the
transaction that makes the change, and says why: a flush that adds or edits a
Recommendation does it (`_void_on_recommendation_change`, registered on every Session when
this module is imported, as services/signoff.py does), so moderation, appeals and anything
else are covered without having to call us. Changes that reach the recommendation set
another way (a corrected review's scores, the cut-line) change its digest: signatures over
the old digest stop counting at once (signoff.py) and `void_stale` voids them, with the
reason, at the next sign-off or export. Every void is an audit event; a round that was
decided goes back to awaiting sign-off.
"""

from __future__ import annotations

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from panel_desk.services import audit
from panel_desk.services.decision_set import build_decision_set
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import Person, Recommendation, Round, RoundState, SignOff, Submission

VOID_CONTEXT = "signoff.void_context"
"""session.info key: words saying why recommendations change (an appeal), for void reasons."""


# --- round state --------------------------------------------------------------------------


def set_round_state(session: Session, round_: Round, state: RoundState, actor: str) -> None:
    if round_.state == state.value:
        return
    before = round_.state
    round_.state = state.value
    audit.record(
        session,
        actor,
        "round.state_changed",
        "round",
        round_.ref,
        {"from": before, "to": state.value},
    )


# --- voiding ------------------------------------------------------------------------------


def void_signoffs(
    session: Session, round_: Round, reason: str, actor: str, *, keep_digest: str = ""
) -> int:
    """Void every signature of the round still standing (but those over `keep_digest`);
    returns how many."""
    standing = session.scalars(
        select(SignOff.id).where(
            SignOff.round_id == round_.id,
            SignOff.voided_at.is_(None),
            SignOff.digest != keep_digest,
        )
    ).all()
    if not standing:
        return 0
    session.execute(
        update(SignOff)
        .where(SignOff.id.in_(standing))
        .values(voided_at=utcnow(), void_reason=reason),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        session,
        actor,
        "signoff.voided",
        "round",
        round_.ref,
        {"signatures": len(standing), "reason": reason},
    )
    if round_.state == RoundState.DECIDED.value:
        set_round_state(session, round_, RoundState.SIGN_OFF, actor)
    return len(standing)


def void_stale(session: Session, round_ref: str, actor: str) -> int:
    """Void the signatures made over a digest that is no longer the round's."""
    round_ = round_by_ref(session, round_ref)
    decisions = build_decision_set(session, round_ref)
    stale = session.scalars(
        select(SignOff.digest).where(
            SignOff.round_id == round_.id,
            SignOff.voided_at.is_(None),
            SignOff.digest != decisions.digest,
        )
    ).first()
    if stale is None:
        return 0
    return void_signoffs(
        session,
        round_,
        f"the recommendation set changed after signing (signed {stale[:12]}…, now "
        f"{decisions.digest[:12]}…): scores, ranking or the cut-line were changed",
        actor,
        keep_digest=decisions.digest,
    )


@event.listens_for(Session, "before_flush")
def _void_on_recommendation_change(session: Session, _context: object, _instances: object) -> None:
    changed = [o for o in session.new if isinstance(o, Recommendation)]
    changed += [
        o for o in session.dirty if isinstance(o, Recommendation) and session.is_modified(o)
    ]
    if not changed:
        return
    found = session.execute(
        select(Submission.id, Submission.ref, Round)
        .join(Round, Round.id == Submission.round_id)
        .where(Submission.id.in_({r.submission_id for r in changed}))
    ).all()
    by_submission = {sid: (ref, round_) for sid, ref, round_ in found}
    rounds = {round_.id: round_ for _, _, round_ in found}
    standing = set(
        session.scalars(
            select(SignOff.round_id).where(
                SignOff.round_id.in_(list(rounds)), SignOff.voided_at.is_(None)
            )
        )
    )
    context = session.info.get(VOID_CONTEXT, "")
    for round_id in standing:
        mine = [r for r in changed if by_submission[r.submission_id][1].id == round_id]
        words = "; ".join(
            f"{by_submission[r.submission_id][0]} now has recommendation version {r.version}, "
            f"outcome “{r.outcome}”"
            for r in mine
        )
        actor = session.scalar(select(Person.email).where(Person.id == mine[0].decided_by_id))
        reason = f"a recommendation changed after signing: {words}" + (
            f" ({context})" if context else ""
        )
        void_signoffs(session, rounds[round_id], reason, actor or audit.SYSTEM)
