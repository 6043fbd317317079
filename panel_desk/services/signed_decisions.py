"""Signed-off decisions: the only thing the registers, lineage and evaluation read decisions from.

A round's decisions count once its sign-off holds (signoff.signoff_status: a quorum of EAG
signatures, verified, over the current recommendation set's digest, none void). While an
upheld appeal has voided the sign-off, none of the round's decisions count: the registers
drop its entries until the EAG signs again.

Each decision carries the date since when it has held signed off. That is the date a
quorum of signatures was first reached over a recommendation set that held this very
recommendation version: signatures voided by a later change to *another* submission of
the round still show when this decision was first signed off, so an unrelated appeal does
not move a credential's endorsement date; a decision an appeal reopened dates from the
sign-off after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.services.signoff import SignOffStatus, signoff_status
from panel_desk.store.models import Recommendation, Round, SignOff, Stage, Submission


@dataclass(frozen=True, slots=True)
class SignedDecision:
    submission_id: int
    round_ref: str
    stage: str
    ref: str
    title: str
    lead: str
    lead_id: int
    outcome: str
    conditions: str
    successful: bool  # the outcome is on the passing side (endorse, approve, renew…)
    version: int
    decided_on: date  # since when this decision has held signed off

    @property
    def reference(self) -> str:
        return f"{self.round_ref}/{self.ref}"


@dataclass(frozen=True)
class SignedRound:
    round_id: int
    round_ref: str
    round_title: str
    stage: str
    signed_on: date  # when the sign-off that holds now was complete
    signatories: tuple[str, ...]
    digest: str
    decisions: tuple[SignedDecision, ...]


def _quorum_times(session: Session, round_id: int, quorum: int) -> list[datetime]:
    """When a quorum of signatures over one digest was reached, for every digest ever
    signed in the round (voided signatures included: they show what was signed when)."""
    by_digest: dict[str, list[datetime]] = defaultdict(list)
    for digest, signed_at in session.execute(
        select(SignOff.digest, SignOff.signed_at).where(SignOff.round_id == round_id)
    ):
        by_digest[digest].append(signed_at)
    return sorted(sorted(times)[quorum - 1] for times in by_digest.values() if len(times) >= quorum)


def _signed_round(session: Session, round_: Round, status: SignOffStatus) -> SignedRound:
    counting = sorted(s.signed_at for s in status.counting)
    completed = counting[min(len(counting), status.quorum) - 1]
    if status.short:
        completed = counting[-1]
    reached = _quorum_times(session, round_.id, status.quorum)
    considered = {d.id: d for d in status.decisions.considered if d.version is not None}
    decided_at = dict(
        session.execute(
            select(Recommendation.submission_id, Recommendation.decided_at).where(
                Recommendation.submission_id.in_(list(considered)),
                Recommendation.current.is_(True),
            )
        ).all()
    )
    leads = dict(
        session.execute(
            select(Submission.id, Submission.lead_organisation_id).where(
                Submission.id.in_(list(considered))
            )
        ).all()
    )
    decisions = []
    for sid, d in considered.items():
        since = decided_at.get(sid)
        if since is not None:  # signatures are stamped to the second (signoff.sign_off)
            since = since.replace(microsecond=0)
        first = next((t for t in reached if since is None or t >= since), completed)
        decisions.append(
            SignedDecision(
                submission_id=sid,
                round_ref=round_.ref,
                stage=round_.stage,
                ref=d.ref,
                title=d.title,
                lead=d.lead,
                lead_id=leads[sid],
                outcome=d.outcome,
                conditions=d.conditions,
                successful=d.successful,
                version=d.version or 0,
                decided_on=min(first, completed).date(),
            )
        )
    return SignedRound(
        round_id=round_.id,
        round_ref=round_.ref,
        round_title=round_.title,
        stage=round_.stage,
        signed_on=completed.date(),
        signatories=tuple(s.signer for s in status.counting),
        digest=status.digest,
        decisions=tuple(sorted(decisions, key=lambda d: d.ref)),
    )


def _candidates(session: Session, stages: Iterable[Stage] | None, ids: Iterable[int] | None):
    standing = (
        select(SignOff.round_id, func.count().label("n"))
        .where(SignOff.voided_at.is_(None))
        .group_by(SignOff.round_id)
        .subquery()
    )
    query = (
        select(Round)
        .join(standing, standing.c.round_id == Round.id)
        .where(standing.c.n >= Round.signoff_quorum)
        .order_by(Round.opens_on, Round.ref)
    )
    if stages is not None:
        query = query.where(Round.stage.in_([s.value for s in stages]))
    if ids is not None:
        query = query.where(Round.id.in_(list(ids)))
    return session.scalars(query).all()


def signed_rounds(
    session: Session,
    stages: Iterable[Stage] | None = None,
    round_ids: Iterable[int] | None = None,
) -> list[SignedRound]:
    """Every round (of `stages`, or with ids in `round_ids`) whose sign-off holds now."""
    found = []
    for round_ in _candidates(session, stages, round_ids):
        status = signoff_status(session, round_.ref)
        if status.complete:
            found.append(_signed_round(session, round_, status))
    return found


def signed_decisions(
    session: Session, stages: Iterable[Stage] | None = None
) -> dict[int, SignedDecision]:
    """The signed-off decision on each submission (of `stages`), by submission id."""
    return {d.submission_id: d for r in signed_rounds(session, stages) for d in r.decisions}
