"""Complaints and appeals: a register per round, on grounds of procedural irregularity.

"A complaint and appeals process for use by parties who reasonably believe that their
submission was subject to a procedural irregularity." An appeal is lodged against the
decision on one submission, with its grounds; the audit extract of that submission
(audit_views.submission_extract: every event about it, each re-checkable against the
chain) is what it is judged against. Deciding it records the outcome and why. Upholding
it reopens the decision: a new version of the submission's Recommendation (the outcome
the appeal decision gives, or the same one reconsidered), which voids the round's sign-off
(signoff_void.py) so the EAG must sign again and a new decision pack be made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit, audit_views
from panel_desk.services.moderation import MAX_TEXT, current_recommendation, submission_in_round
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.services.signoff_void import VOID_CONTEXT, set_round_state
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Appeal,
    AppealStatus,
    Person,
    PersonRole,
    Recommendation,
    Role,
    Round,
    RoundState,
    Submission,
)

DECISIONS = (AppealStatus.UPHELD, AppealStatus.DISMISSED, AppealStatus.WITHDRAWN)
MAY_DECIDE = (Role.SECRETARIAT, Role.EAG)


@dataclass(frozen=True, slots=True)
class AppealView:
    id: int
    round_ref: str
    submission_ref: str
    submission_title: str
    appellant: str
    lodged_on: date
    grounds: str
    status: str
    outcome: str  # the decision's reasons
    decided_at: datetime | None
    decided_by: str
    recorded_by: str
    reopened_version: int | None
    decision: str  # the submission's current outcome

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "round": self.round_ref,
            "submission": self.submission_ref,
            "appellant": self.appellant,
            "lodged_on": self.lodged_on.isoformat(),
            "grounds": self.grounds,
            "status": self.status,
            "outcome": self.outcome,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by": self.decided_by or None,
            "recorded_by": self.recorded_by,
            "reopened_version": self.reopened_version,
            "current_outcome": self.decision,
        }


def _text(value: str, option: str, what: str) -> str:
    found = value.strip()
    if not found:
        raise BadInput(option, f"state {what}")
    if len(found) > MAX_TEXT:
        raise BadInput(option, f"is longer than {MAX_TEXT} characters")
    return found


def _view(session: Session, appeal: Appeal) -> AppealView:
    submission = session.get_one(Submission, appeal.submission_id)
    round_ = session.get_one(Round, submission.round_id)
    current = current_recommendation(session, submission.id)
    return AppealView(
        appeal.id,
        round_.ref,
        submission.ref,
        submission.title,
        appeal.appellant,
        appeal.lodged_on,
        appeal.grounds,
        appeal.status,
        appeal.outcome,
        appeal.decided_at,
        appeal.decided_by,
        appeal.recorded_by,
        appeal.reopened_version,
        current.outcome if current else "",
    )


def list_appeals(session: Session, round_ref: str) -> list[AppealView]:
    """The round's register, oldest first."""
    round_ = round_by_ref(session, round_ref)
    rows = session.scalars(
        select(Appeal)
        .join(Submission, Submission.id == Appeal.submission_id)
        .where(Submission.round_id == round_.id)
        .order_by(Appeal.lodged_on, Appeal.id)
    )
    return [_view(session, a) for a in rows]


@dataclass(frozen=True)
class AppealChoices:
    """What the register's dialogs offer: the decided submissions, and the outcomes."""

    submissions: tuple[tuple[str, str, str], ...]  # (ref, title, current outcome)
    outcomes: tuple[str, ...]
    with_conditions: tuple[str, ...]


def appeal_choices(session: Session, round_ref: str) -> AppealChoices:
    round_ = round_by_ref(session, round_ref)
    spec = criteria_of(session, round_)
    rows = session.execute(
        select(Submission.ref, Submission.title, Recommendation.outcome)
        .join(Recommendation, Recommendation.submission_id == Submission.id)
        .where(Submission.round_id == round_.id, Recommendation.current.is_(True))
        .order_by(Submission.ref)
    ).all()
    return AppealChoices(
        tuple((r, t, o) for r, t, o in rows),
        spec.recommendation.options,
        spec.recommendation.with_conditions,
    )


def appeal_by_id(session: Session, appeal_id: int) -> Appeal:
    found = session.get(Appeal, appeal_id)
    if found is None:
        raise NotFound("appeal", f"no appeal {appeal_id}")
    return found


def lodge_appeal(
    session: Session,
    round_ref: str,
    submission_ref: str,
    grounds: str,
    appellant: str,
    actor: str,
    lodged_on: date | None = None,
) -> AppealView:
    """Record an appeal against the decision on one submission."""
    round_ = round_by_ref(session, round_ref)
    submission = submission_in_round(session, round_, submission_ref)
    why = _text(grounds, "--grounds", "the procedural irregularity the appeal alleges")
    who = _text(appellant, "--appellant", "who appeals (the lead representative, usually)")
    on = lodged_on or date.today()
    if on > date.today():
        raise BadInput("--lodged-on", f"{on} is in the future")
    current = current_recommendation(session, submission.id)
    if current is None:
        raise BadInput(
            "--submission", f"{submission.ref} has no decision yet: there is nothing to appeal"
        )
    open_ = session.scalar(
        select(Appeal.id).where(
            Appeal.submission_id == submission.id, Appeal.status == AppealStatus.LODGED
        )
    )
    if open_ is not None:
        raise BadInput("--submission", f"appeal {open_} on {submission.ref} is still open")
    appeal = Appeal(
        submission_id=submission.id,
        lodged_on=on,
        grounds=why,
        status=AppealStatus.LODGED.value,
        appellant=who,
        recorded_by=actor,
    )
    session.add(appeal)
    session.flush()
    head = audit.verify_chain(session).head_hash
    audit.record(
        session,
        actor,
        "appeal.lodged",
        "submission",
        f"{round_.ref}/{submission.ref}",
        {
            "appeal": appeal.id,
            "appellant": who,
            "lodged_on": on.isoformat(),
            "grounds": why,
            "against": {"version": current.version, "outcome": current.outcome},
            "audit_head_when_lodged": head,
        },
    )
    return _view(session, appeal)


def _reopen(
    session: Session,
    submission: Submission,
    appeal: Appeal,
    reason: str,
    decider: Person,
    outcome: str | None,
    conditions: str | None,
    feedback: str | None,
) -> Recommendation:
    round_ = session.get_one(Round, submission.round_id)
    spec = criteria_of(session, round_)
    current = current_recommendation(session, submission.id)
    assert current is not None  # lodging needs a decision
    chosen = (outcome or current.outcome).strip()
    matched = [o for o in spec.recommendation.options if o.casefold() == chosen.casefold()]
    if not matched:
        raise BadInput(
            "--outcome", f"{chosen!r} is not one of {', '.join(spec.recommendation.options)}"
        )
    chosen = matched[0]
    terms = (conditions if conditions is not None else current.conditions).strip()
    if chosen in spec.recommendation.with_conditions and not terms:
        raise BadInput("--conditions", f"the outcome “{chosen}” needs its conditions stated")
    if chosen not in spec.recommendation.with_conditions:
        terms = ""
    note = f"Reconsidered after appeal {appeal.id} was upheld on {date.today():%-d %B %Y}: {reason}"
    session.info[VOID_CONTEXT] = f"appeal {appeal.id} on {submission.ref} upheld"
    session.execute(
        update(Recommendation)
        .where(Recommendation.submission_id == submission.id)
        .values(current=False)
    )
    reopened = Recommendation(
        submission_id=submission.id,
        version=current.version + 1,
        outcome=chosen,
        conditions=terms,
        feedback=(feedback if feedback is not None else current.feedback).strip(),
        rationale=f"{current.rationale}\n\n{note}".strip(),
        current=True,
        decided_by_id=decider.id,
        decided_at=utcnow(),
    )
    session.add(reopened)
    try:
        session.flush()  # voids the round's sign-off, saying why (signoff_void.py)
    finally:
        session.info.pop(VOID_CONTEXT, None)
    set_round_state(session, round_, RoundState.SIGN_OFF, decider.email)
    return reopened


def decide_appeal(
    session: Session,
    appeal_id: int,
    decision: str,
    reason: str,
    actor: str,
    *,
    outcome: str | None = None,
    conditions: str | None = None,
    feedback: str | None = None,
) -> AppealView:
    """Uphold, dismiss or record the withdrawal of an appeal; upholding reopens the decision
    (`outcome`, `conditions`, `feedback` change it; left out, it is reconsidered as it is)."""
    appeal = appeal_by_id(session, appeal_id)
    try:
        status = AppealStatus(decision.strip().lower())
    except ValueError:
        raise BadInput(
            "--decision", f"{decision!r} is not one of upheld, dismissed, withdrawn"
        ) from None
    if status not in DECISIONS:
        raise BadInput("--decision", "an appeal is decided upheld, dismissed or withdrawn")
    if appeal.status != AppealStatus.LODGED:
        raise BadInput("appeal", f"appeal {appeal.id} was already decided ({appeal.status})")
    why = _text(reason, "--reason", "the reasons for the decision")
    person = person_by_email(session, actor)
    roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id)))
    if not roles & {r.value for r in MAY_DECIDE}:
        raise BadInput("--as", f"{person.email} may not decide appeals (secretariat or EAG)")
    if status != AppealStatus.UPHELD and any(
        v is not None for v in (outcome, conditions, feedback)
    ):
        raise BadInput("--outcome", "only an upheld appeal changes the decision")
    submission = session.get_one(Submission, appeal.submission_id)
    round_ = session.get_one(Round, submission.round_id)
    reopened = None
    if status == AppealStatus.UPHELD:
        reopened = _reopen(session, submission, appeal, why, person, outcome, conditions, feedback)
        appeal.reopened_version = reopened.version
    appeal.status = status.value
    appeal.outcome = why
    appeal.decided_at = utcnow()
    appeal.decided_by = person.email
    session.flush()
    audit.record(
        session,
        person.email,
        "appeal.decided",
        "submission",
        f"{round_.ref}/{submission.ref}",
        {
            "appeal": appeal.id,
            "decision": status.value,
            "reason": why,
            "reopened": None
            if reopened is None
            else {"version": reopened.version, "outcome": reopened.outcome},
        },
    )
    return _view(session, appeal)


def appeal_extract(
    session: Session, appeal_id: int, progress: Progress = no_progress
) -> dict[str, Any]:
    """The audit extract of the appealed submission, with the appeal it is for (the whole
    chain is checked for it: `progress` reports, and may stop, that walk)."""
    appeal = appeal_by_id(session, appeal_id)
    submission = session.get_one(Submission, appeal.submission_id)
    round_ = session.get_one(Round, submission.round_id)
    extract = audit_views.submission_extract(session, round_.ref, submission.ref, progress)
    extract["appeal"] = _view(session, appeal).as_json()
    return extract
