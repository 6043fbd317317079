"""Lineage as people read it: a submission's chain, and a credential's whole history.

The chain runs from the proposal down to every provider application and periodic review
of the credential it became, whichever link the question starts from. Each step says what
was decided and whether that decision is signed off (signed_decisions.py), with the
round's sign-off and each decision pack exported for it (the `pack.exported` audit
events): a pack made over the recommendation set that holds now is the decision's pack,
one made before an appeal reopened the decision is marked superseded.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.store.models import (
    AuditEvent,
    LineageLink,
    Organisation,
    Recommendation,
    Round,
    Stage,
    Submission,
)

if TYPE_CHECKING:
    from panel_desk.services import annotations, annual_returns
    from panel_desk.services.registers import ApprovalEntry, CredentialEntry

# Registers, annual returns and sign-off (with its signing code) are imported where a chain
# or a history is read: the detail pane asks `chain_if_linked` at every start of the app,
# and for an unlinked submission needs none of them.

ROLE = {
    Stage.GATEWAY: "Proposal",
    Stage.ENDORSEMENT: "Specification (the credential)",
    Stage.PROVIDER_APPROVAL: "Provider application",
    Stage.PERIODIC_REVIEW: "Periodic review",
}


@dataclass(frozen=True, slots=True)
class PackExport:
    at: datetime
    by: str
    path: str
    current: bool  # made over the recommendation set that holds now


@dataclass(frozen=True, slots=True)
class Step:
    id: int
    round_ref: str
    round_title: str
    stage: str
    ref: str
    title: str
    lead: str
    depth: int
    outcome: str  # the current recommendation's outcome ("" before moderation)
    version: int | None
    conditions: str
    signed_off: bool
    decided_on: date | None
    signatories: tuple[str, ...]
    packs: tuple[PackExport, ...]
    round_state: str

    @property
    def reference(self) -> str:
        return f"{self.round_ref}/{self.ref}"

    @property
    def role(self) -> str:
        return ROLE[Stage(self.stage)]

    @property
    def standing(self) -> str:
        if self.signed_off and self.decided_on is not None:
            return f"{self.outcome} — signed off {self.decided_on:%-d %b %Y}"
        if self.outcome:
            return f"recommended “{self.outcome}”, awaiting sign-off"
        return f"not decided yet ({self.round_state.replace('_', ' ')})"


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]  # depth-first from the top: proposal, specification, …
    focus: int  # the submission asked about

    @property
    def credential(self) -> Step | None:
        return next((s for s in self.steps if s.stage == Stage.ENDORSEMENT), None)


def _tree(session: Session, submission_id: int) -> list[tuple[int, int]]:
    """(submission id, depth) from the top ancestor down, depth first."""
    links = session.execute(select(LineageLink.parent_id, LineageLink.child_id)).all()
    parent = {child: p for p, child in links}
    children: dict[int, list[int]] = defaultdict(list)
    for p, child in links:
        children[p].append(child)
    top, seen = submission_id, {submission_id}
    while top in parent and parent[top] not in seen:
        top = parent[top]
        seen.add(top)
    found: list[tuple[int, int]] = []

    def walk(node: int, depth: int) -> None:
        found.append((node, depth))
        for child in sorted(children.get(node, [])):
            if all(node_id != child for node_id, _ in found):
                walk(child, depth + 1)

    walk(top, 0)
    return found


def _packs(session: Session, round_refs: set[str]) -> dict[str, list[tuple[datetime, str, dict]]]:
    found: dict[str, list[tuple[datetime, str, dict]]] = defaultdict(list)
    for at, actor, ref, payload in session.execute(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.subject_ref, AuditEvent.payload)
        .where(AuditEvent.action == "pack.exported", AuditEvent.subject_ref.in_(round_refs))
        .order_by(AuditEvent.seq)
    ):
        found[ref].append((at, actor, json.loads(payload)))
    return found


def chain_for(session: Session, submission_id: int) -> Chain:
    """The lineage `submission_id` is part of, each step with its decision."""
    from panel_desk.services.signed_decisions import signed_rounds

    tree = _tree(session, submission_id)
    ids = [sid for sid, _ in tree]
    rows = {
        row.id: row
        for row in session.execute(
            select(
                Submission.id,
                Submission.ref,
                Submission.title,
                Submission.round_id,
                Round.ref.label("round_ref"),
                Round.title.label("round_title"),
                Round.stage,
                Round.state,
                Organisation.name.label("lead"),
            )
            .join(Round, Round.id == Submission.round_id)
            .join(Organisation, Organisation.id == Submission.lead_organisation_id)
            .where(Submission.id.in_(ids))
        )
    }
    current = {
        sid: (outcome, version, conditions)
        for sid, outcome, version, conditions in session.execute(
            select(
                Recommendation.submission_id,
                Recommendation.outcome,
                Recommendation.version,
                Recommendation.conditions,
            ).where(Recommendation.submission_id.in_(ids), Recommendation.current.is_(True))
        )
    }
    signed = {}
    for r in signed_rounds(session, round_ids={row.round_id for row in rows.values()}):
        for d in r.decisions:
            signed[d.submission_id] = (d, r)
    exported = _packs(session, {row.round_ref for row in rows.values()})
    steps = []
    for sid, depth in tree:
        row = rows[sid]
        outcome, version, conditions = current.get(sid, ("", None, ""))
        decision, round_ = signed.get(sid, (None, None))
        packs = tuple(
            PackExport(
                at,
                actor,
                str(payload.get("path", "")),
                round_ is not None and payload.get("recommendation_digest") == round_.digest,
            )
            for at, actor, payload in exported.get(row.round_ref, [])
        )
        steps.append(
            Step(
                sid,
                row.round_ref,
                row.round_title,
                row.stage,
                row.ref,
                row.title,
                row.lead,
                depth,
                decision.outcome if decision else outcome,
                decision.version if decision else version,
                decision.conditions if decision else conditions,
                decision is not None,
                decision.decided_on if decision else None,
                round_.signatories if round_ else (),
                packs,
                row.state,
            )
        )
    return Chain(tuple(steps), submission_id)


# --- a credential's whole history -----------------------------------------------------------


@dataclass(frozen=True)
class CredentialHistory:
    entry: CredentialEntry | None  # None: not (or no longer) an endorsed credential
    chain: Chain
    approvals: tuple[ApprovalEntry, ...]
    annotations: tuple[annotations.AnnotationView, ...]
    returns: tuple[annual_returns.ReturnView, ...]
    as_of: date
    owed: tuple[annual_returns.ReturnDue, ...] = ()  # each year's return, where it stands


def credential_choices(session: Session) -> list[CredentialEntry]:
    """Every credential ever endorsed, by title."""
    from panel_desk.services.registers import build_registers

    return list(build_registers(session).credentials)


def credential_history(
    session: Session, credential_id: int, as_of: date | None = None
) -> CredentialHistory:
    from panel_desk.services import annotations, annual_returns
    from panel_desk.services.registers import build_registers

    registers = build_registers(session, as_of)
    entry = registers.credential(credential_id)
    owed = (
        tuple(
            due
            for due in annual_returns.return_status(session, registers.as_of)
            if due.credential_reference == entry.reference
        )
        if entry is not None
        else ()
    )
    return CredentialHistory(
        entry,
        chain_for(session, credential_id),
        tuple(registers.approvals_for(credential_id)),
        tuple(annotations.annotations(session, credential_id=credential_id)),
        tuple(annual_returns.returns(session, credential_id)),
        registers.as_of,
        owed,
    )


def chain_if_linked(session: Session, submission_id: int) -> Chain | None:
    """The chain, only where the submission is linked to another (the detail pane's case:
    an unlinked submission costs one query, not a reading of its round's sign-off)."""
    linked = session.scalar(
        select(LineageLink.id)
        .where((LineageLink.parent_id == submission_id) | (LineageLink.child_id == submission_id))
        .limit(1)
    )
    return None if linked is None else chain_for(session, submission_id)


def attached_returns(session: Session, submission_id: int) -> list[annual_returns.ReturnView]:
    """A periodic review's attached annual returns (nothing for other submissions)."""
    stage = session.scalar(
        select(Round.stage)
        .join(Submission, Submission.round_id == Round.id)
        .where(Submission.id == submission_id)
    )
    if stage != Stage.PERIODIC_REVIEW:
        return []
    from panel_desk.services import annual_returns

    return annual_returns.returns_for_submission(session, submission_id)
