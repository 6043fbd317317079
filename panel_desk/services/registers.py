"""The registers of endorsed credentials and approved providers, derived from signed-off
decisions only.

There is no register table anyone could edit: every call reads the rounds whose sign-off
holds (signed_decisions.py) and the lineage links, and works the registers out.

- A credential is an endorsement submission whose signed-off outcome endorses it. It is
  endorsed from the day that decision was signed off; its periodic review is due
  `ENDORSEMENT_REVIEW_YEARS` later. A signed-off periodic review of it renews the
  endorsement (the review then falls due again from that day) or, not renewed, ends it.
- A provider is approved for a credential when the signed-off outcome of its application
  (linked to the credential, lineage.py) approves it, from the day that was signed off (not
  before the credential's endorsement) until renewal is due `APPROVAL_RENEWAL_YEARS` later.
  Unrenewed, the approval lapses on that date; a periodic review whose lead organisation is
  the approved provider renews it (a new period from that day) or ends it. An approval
  ends when its credential's endorsement ends.
- A periodic review of a credential led by anyone else is a review of the endorsement.

An appeal that reopens a decision voids the round's sign-off: its entries leave the
registers at once, and come back (dated as before, unless that very decision changed)
when the EAG signs again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.services import lineage
from panel_desk.services.signed_decisions import SignedDecision, signed_decisions
from panel_desk.store.models import Stage, Submission

ENDORSEMENT_REVIEW_YEARS = 5
APPROVAL_RENEWAL_YEARS = 3


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    id: int  # the endorsement submission that is the credential
    reference: str  # ROUND/REF of that submission
    title: str
    area: str
    developed_by: str  # the specification's lead organisation
    endorsed_on: date
    review_due: date
    conditions: str
    ended_on: date | None  # not renewed at periodic review
    renewals: tuple[date, ...]
    proposal: str  # ROUND/REF of the proposal it was developed from, "" when none is linked

    def in_force(self, on: date) -> bool:
        return self.endorsed_on <= on and (self.ended_on is None or on < self.ended_on)

    def status(self, on: date) -> str:
        if self.ended_on is not None and on >= self.ended_on:
            return f"endorsement ended {self.ended_on:%-d %b %Y} (not renewed)"
        if on > self.review_due:
            return f"periodic review overdue (due {self.review_due:%-d %b %Y})"
        return "endorsed"


@dataclass(frozen=True, slots=True)
class ApprovalEntry:
    credential_id: int
    credential_title: str
    credential_reference: str
    provider: str
    provider_id: int
    reference: str  # ROUND/REF of the provider's application
    approved_on: date
    periods: tuple[tuple[date, date], ...]  # (from, renewal due), renewals adding periods
    conditions: str
    ended_on: date | None

    @property
    def renewal_due(self) -> date:
        return self.periods[-1][1]

    def in_force(self, on: date) -> bool:
        if self.ended_on is not None and on >= self.ended_on:
            return False
        return any(start <= on <= end for start, end in self.periods)

    def status(self, on: date) -> str:
        if self.ended_on is not None and on >= self.ended_on:
            return f"approval ended {self.ended_on:%-d %b %Y}"
        if on > self.renewal_due:
            return f"lapsed: renewal was due {self.renewal_due:%-d %b %Y}"
        if on < self.approved_on:
            return f"approved from {self.approved_on:%-d %b %Y}"
        return "approved"

    def span(self) -> str:
        """The approval's periods in words, for a reason given to the user."""
        end = f", ended {self.ended_on:%-d %b %Y}" if self.ended_on else ""
        return (
            "; ".join(f"{start:%-d %b %Y} to {due:%-d %b %Y}" for start, due in self.periods) + end
        )


@dataclass(frozen=True)
class Registers:
    as_of: date
    credentials: tuple[CredentialEntry, ...]  # every credential endorsed (ended ones too)
    approvals: tuple[ApprovalEntry, ...]
    notes: tuple[str, ...]  # signed-off decisions that could not be placed, and why

    def listed_credentials(self) -> list[CredentialEntry]:
        """What the published register lists: credentials endorsed on `as_of`."""
        return [c for c in self.credentials if c.in_force(self.as_of)]

    def listed_approvals(self) -> list[ApprovalEntry]:
        return [a for a in self.approvals if a.in_force(self.as_of)]

    def credential(self, credential_id: int) -> CredentialEntry | None:
        return next((c for c in self.credentials if c.id == credential_id), None)

    def approvals_for(self, credential_id: int) -> list[ApprovalEntry]:
        return [a for a in self.approvals if a.credential_id == credential_id]


@dataclass
class _Credential:
    entry: CredentialEntry


@dataclass
class _Approval:
    entry: ApprovalEntry
    periods: list[tuple[date, date]] = field(default_factory=list)


def _areas(session: Session, ids: list[int]) -> dict[int, str]:
    return dict(
        session.execute(select(Submission.id, Submission.area).where(Submission.id.in_(ids))).all()
    )


def _credentials(
    session: Session, endorsements: list[SignedDecision], proposals: dict[int, str]
) -> dict[int, CredentialEntry]:
    areas = _areas(session, [d.submission_id for d in endorsements])
    return {
        d.submission_id: CredentialEntry(
            id=d.submission_id,
            reference=d.reference,
            title=d.title,
            area=areas.get(d.submission_id, ""),
            developed_by=d.lead,
            endorsed_on=d.decided_on,
            review_due=add_years(d.decided_on, ENDORSEMENT_REVIEW_YEARS),
            conditions=d.conditions,
            ended_on=None,
            renewals=(),
            proposal=proposals.get(d.submission_id, ""),
        )
        for d in endorsements
    }


def _review(
    review: SignedDecision,
    credential: CredentialEntry,
    approvals: list[_Approval],
) -> CredentialEntry:
    """Apply one signed-off periodic review; returns the credential as it now stands."""
    day = review.decided_on
    mine = [
        a
        for a in approvals
        if a.entry.credential_id == credential.id
        and a.entry.provider_id == review.lead_id
        and a.entry.approved_on <= day
    ]
    if mine:  # the approved provider's delivery: renews or ends its approval
        target = mine[-1]
        if target.entry.ended_on is not None:
            return credential
        if review.successful:
            last_start, last_due = target.periods[-1]
            if day <= last_due:
                target.periods[-1] = (last_start, day)
            target.periods.append((day, add_years(day, APPROVAL_RENEWAL_YEARS)))
            target.entry = replace(target.entry, conditions=review.conditions)
        else:
            target.entry = replace(target.entry, ended_on=day)
        return credential
    if credential.ended_on is not None:
        return credential
    if review.successful:
        return replace(
            credential,
            review_due=add_years(day, ENDORSEMENT_REVIEW_YEARS),
            conditions=review.conditions,
            renewals=(*credential.renewals, day),
        )
    return replace(credential, ended_on=day)


def build_registers(session: Session, as_of: date | None = None) -> Registers:
    """Both registers as the signed-off decisions make them, judged on `as_of` (today)."""
    on = as_of or date.today()
    decided = signed_decisions(
        session, [Stage.ENDORSEMENT, Stage.PROVIDER_APPROVAL, Stage.PERIODIC_REVIEW]
    )
    by_stage: dict[str, list[SignedDecision]] = {s.value: [] for s in Stage}
    for d in sorted(decided.values(), key=lambda d: (d.decided_on, d.reference)):
        by_stage[d.stage].append(d)
    parents = {
        child: parent
        for kind in (lineage.SPECIFICATION, lineage.DELIVERY, lineage.REVIEW)
        for parent, children in lineage.children_by_kind(session, kind).items()
        for child in children
    }
    references = {
        sid: f"{round_ref}/{ref}"
        for sid, round_ref, ref in lineage.references(session, list(parents.values()))
    }
    proposals = {child: references[parent] for child, parent in parents.items()}
    endorsed = [d for d in by_stage[Stage.ENDORSEMENT] if d.successful]
    credentials = _credentials(session, endorsed, proposals)
    notes: list[str] = []
    approvals: list[_Approval] = []
    for d in by_stage[Stage.PROVIDER_APPROVAL]:
        if not d.successful:
            continue
        parent = parents.get(d.submission_id)
        credential = credentials.get(parent) if parent is not None else None
        if credential is None:
            notes.append(_unplaced(d, parent, references))
            continue
        start = max(d.decided_on, credential.endorsed_on)
        entry = ApprovalEntry(
            credential_id=credential.id,
            credential_title=credential.title,
            credential_reference=credential.reference,
            provider=d.lead,
            provider_id=d.lead_id,
            reference=d.reference,
            approved_on=start,
            periods=(),
            conditions=d.conditions,
            ended_on=None,
        )
        approvals.append(_Approval(entry, [(start, add_years(start, APPROVAL_RENEWAL_YEARS))]))
    for d in by_stage[Stage.PERIODIC_REVIEW]:
        parent = parents.get(d.submission_id)
        credential = credentials.get(parent) if parent is not None else None
        if credential is None:
            notes.append(_unplaced(d, parent, references))
            continue
        credentials[credential.id] = _review(d, credential, approvals)
    finished = []
    for a in approvals:
        ended = credentials[a.entry.credential_id].ended_on
        entry = replace(a.entry, periods=tuple(a.periods))
        if ended is not None and (entry.ended_on is None or ended < entry.ended_on):
            entry = replace(entry, ended_on=ended)
        finished.append(entry)
    return Registers(
        as_of=on,
        credentials=tuple(sorted(credentials.values(), key=lambda c: c.title.casefold())),
        approvals=tuple(
            sorted(finished, key=lambda a: (a.credential_title.casefold(), a.provider.casefold()))
        ),
        notes=tuple(notes),
    )


def _unplaced(d: SignedDecision, parent: int | None, references: dict[int, str]) -> str:
    what = "approved" if d.stage == Stage.PROVIDER_APPROVAL else f"reviewed ({d.outcome})"
    if parent is None:
        return (
            f"{d.reference} ({d.lead}) was {what} but is not linked to a credential: "
            f"panel-desk lineage link --round {d.round_ref}"
        )
    return (
        f"{d.reference} ({d.lead}) was {what} for {references.get(parent, '?')}, which is "
        "not an endorsed credential (its endorsement is not signed off, or was not given)"
    )
