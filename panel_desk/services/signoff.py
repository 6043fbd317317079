"""Sign-off by the Education Assurance Group: signatures over a round's recommendation set.

"The recommendation is signed off by the Centre's Education Assurance Group." An EAG member
signs a *statement*: the round, the digest of its recommendation set (decision_set.py),
who signs and when, the submissions they abstain on and what they said of it. The
signature is made with the member's key from the keyring and must carry a certificate from
the hub's authority. Signing is refused while moderation is incomplete
(`require_moderation_complete`) or a considered submission has no recommendation.

Sign-off is complete when a quorum of signatures (Round.signoff_quorum, default 2) holds
over the current digest, and every considered submission has that many signatories who
did not abstain on it; the round then moves to `decided`. A member conflicted on a
submission (signoff_conflicts.py) abstains on it, on the record.

Any change to a recommendation after a signature voids the round's signatures and says
why (signoff_void.py, imported here so its flush hook is always in place); a signature
over an older digest never counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.crypto.signing import Signature, canonical_json, sign_json
from panel_desk.errors import BadInput, VerificationFailed
from panel_desk.services import audit, keys, signatures
from panel_desk.services.decision_set import DecisionSet, build_decision_set
from panel_desk.services.moderation_gate import blockers, require_moderation_complete
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import round_by_ref
from panel_desk.services.signoff_conflicts import SignerConflict, signer_conflicts
from panel_desk.services.signoff_void import set_round_state, void_stale
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Person,
    PersonRole,
    Role,
    RoundState,
    SignOff,
)

STATEMENT_KIND = "panel_desk-signoff"
MAX_STATEMENT = 2000


def statement(
    round_ref: str,
    digest: str,
    signer: str,
    signed_at: datetime,
    abstentions: list[str] | tuple[str, ...],
    text: str,
) -> dict[str, Any]:
    """What a member signs; rebuilt from a pack's manifest to verify the signature."""
    return {
        "kind": STATEMENT_KIND,
        "version": 1,
        "round": round_ref,
        "recommendation_digest": digest,
        "signer": signer,
        "signed_at": signed_at.isoformat(),
        "abstains_on": sorted(abstentions),
        "statement": text,
    }


@dataclass(frozen=True, slots=True)
class SignatureView:
    id: int
    signer: str
    name: str
    signed_at: datetime
    digest: str
    abstentions: tuple[str, ...]
    statement: str
    signature: bytes
    certificate_pem: str
    counts: bool
    problem: str  # why it does not count ("" when it does)


@dataclass(frozen=True)
class SignOffStatus:
    round_ref: str
    round_title: str
    state: str
    quorum: int
    digest: str
    decisions: DecisionSet
    blockers: tuple[str, ...]
    signatures: tuple[SignatureView, ...]
    short: tuple[str, ...]  # submissions that lack enough signatories not abstaining on them

    @property
    def counting(self) -> tuple[SignatureView, ...]:
        return tuple(s for s in self.signatures if s.counts)

    @property
    def complete(self) -> bool:
        return not self.blockers and len(self.counting) >= self.quorum and not self.short

    def headline(self) -> str:
        have = (
            f"{len(self.counting)} signature{'s' * (len(self.counting) != 1)}, quorum {self.quorum}"
        )
        if self.complete:
            return f"{self.round_ref}: signed off ({have}); the decision pack may be exported"
        if self.blockers:
            return f"{self.round_ref}: not ready for sign-off ({len(self.blockers)} to resolve)"
        if len(self.counting) >= self.quorum and self.short:
            return (
                f"{self.round_ref}: {have}, but {len(self.short)} submission(s) lack a quorum "
                "of signatories who did not abstain on them"
            )
        return f"{self.round_ref}: awaiting sign-off ({have})"


def _signature_problem(
    session: Session, row: SignOff, person: Person, decisions: DecisionSet
) -> str:
    if row.voided_at is not None:
        return f"void since {row.voided_at:%Y-%m-%d %H:%M}: {row.void_reason}"
    if row.digest != decisions.digest:
        return (
            "made over an earlier recommendation set: the recommendations changed after "
            "signing (it will be voided at the next sign-off or export)"
        )
    payload = canonical_json(
        statement(
            decisions.round_ref,
            row.digest,
            person.email,
            row.signed_at,
            row.abstentions,
            row.statement,
        )
    )
    try:
        signatures.verify_under_authority(
            session,
            payload,
            row.signature,
            subject=f"the sign-off of {person.email}",
            expected_signer=person.email,
            at=row.signed_at,
        )
    except VerificationFailed as exc:
        return "; ".join(exc.failures)
    return ""


def signoff_status(session: Session, round_ref: str) -> SignOffStatus:
    """Where the round's sign-off stands: what blocks it, who signed, whether it holds."""
    decisions = build_decision_set(session, round_ref)
    found = [str(b) for b in blockers(session, round_ref)] + list(decisions.problems)
    views: list[SignatureView] = []
    for row, person in session.execute(
        select(SignOff, Person)
        .join(Person, Person.id == SignOff.person_id)
        .where(SignOff.round_id == decisions.round_id)
        .order_by(SignOff.signed_at, SignOff.id)
    ):
        problem = _signature_problem(session, row, person, decisions)
        views.append(
            SignatureView(
                row.id,
                person.email,
                person.name,
                row.signed_at,
                row.digest,
                tuple(row.abstentions),
                row.statement,
                row.signature,
                row.certificate_pem,
                not problem,
                problem,
            )
        )
    counting = [v for v in views if v.counts]
    short = []
    if len(counting) >= decisions.quorum:
        for d in decisions.considered:
            signing = sum(1 for v in counting if d.ref not in v.abstentions)
            if signing < decisions.quorum:
                short.append(d.ref)
    return SignOffStatus(
        decisions.round_ref,
        decisions.round_title,
        decisions.state,
        decisions.quorum,
        decisions.digest,
        decisions,
        tuple(found),
        tuple(views),
        tuple(short),
    )


def conflicts_for(session: Session, round_ref: str, email: str) -> list[SignerConflict]:
    """The submissions `email` would abstain on, and why."""
    return signer_conflicts(
        session, round_by_ref(session, round_ref), person_by_email(session, email)
    )


# --- signing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    signer: str
    abstentions: tuple[SignerConflict, ...]
    status: SignOffStatus
    voided: int  # stale signatures voided before this one was made


def _eag_member(session: Session, email: str) -> Person:
    person = person_by_email(session, email)
    roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id)))
    if Role.EAG not in roles:
        raise BadInput(
            "--as", f"{person.email} is not on the Education Assurance Group (needs the eag role)"
        )
    return person


def sign_off(
    session: Session,
    round_ref: str,
    email: str,
    *,
    passphrase: keys.Passphrase = None,
    statement_text: str = "",
) -> Signed:
    """Sign the round's recommendation set as `email`, abstaining where they are conflicted."""
    round_ = round_by_ref(session, round_ref)
    person = _eag_member(session, email)
    text = statement_text.strip()
    if len(text) > MAX_STATEMENT:
        raise BadInput("--statement", f"is longer than {MAX_STATEMENT} characters")
    require_moderation_complete(session, round_ref)
    voided = void_stale(session, round_ref, person.email)
    decisions = build_decision_set(session, round_ref)
    if decisions.problems:
        shown = "; ".join(decisions.problems[:5])
        more = f" (and {len(decisions.problems) - 5} more)" * (len(decisions.problems) > 5)
        raise BadInput(round_ref, f"not ready for sign-off: {shown}{more}")
    if not decisions.considered:
        raise BadInput(round_ref, "has no considered submission: there is nothing to sign off")
    already = session.scalar(
        select(SignOff.id).where(
            SignOff.round_id == round_.id,
            SignOff.person_id == person.id,
            SignOff.voided_at.is_(None),
            SignOff.digest == decisions.digest,
        )
    )
    if already is not None:
        raise BadInput("--as", f"{person.email} has already signed off {round_ref} as it stands")
    considered = {d.ref for d in decisions.considered}
    conflicts = [
        c for c in signer_conflicts(session, round_, person) if c.submission_ref in considered
    ]
    abstain = [c.submission_ref for c in conflicts]
    if len(abstain) >= len(decisions.considered):
        raise BadInput(
            "--as",
            f"{person.email} is conflicted on every submission of {round_ref}, so their "
            "signature could not count: another member must sign",
        )
    identity = keys.signing_identity(
        session, person.email, passphrase=passphrase, require_certificate=True
    )
    signed_at = utcnow().replace(microsecond=0)
    signed = statement(round_ref, decisions.digest, person.email, signed_at, abstain, text)
    signature: Signature = sign_json(signed, identity)
    signatures.verify_under_authority(  # the key and certificate hold here, before we keep it
        session,
        canonical_json(signed),
        signature,
        subject=f"the sign-off of {person.email}",
        expected_signer=person.email,
        at=signed_at,
    )
    session.add(
        SignOff(
            round_id=round_.id,
            person_id=person.id,
            digest=decisions.digest,
            signature=signature.to_bytes(),
            certificate_pem=signature.certificate_pem,
            signed_at=signed_at,
            abstentions=sorted(abstain),
            statement=text,
        )
    )
    session.flush()
    audit.record(
        session,
        person.email,
        "signoff.signed",
        "round",
        round_ref,
        {
            "digest": decisions.digest,
            "abstains_on": {c.submission_ref: list(c.reasons) for c in conflicts},
            "statement": text,
            "key_fingerprint": signature.key_fingerprint,
        },
    )
    status = signoff_status(session, round_ref)
    target = RoundState.DECIDED if status.complete else RoundState.SIGN_OFF
    set_round_state(session, round_, target, person.email)
    return Signed(person.email, tuple(conflicts), signoff_status(session, round_ref), voided)


def require_signed_off(session: Session, round_ref: str, actor: str) -> SignOffStatus:
    """The complete sign-off a decision pack is made from; BadInput saying what is missing."""
    void_stale(session, round_ref, actor)
    status = signoff_status(session, round_ref)
    if status.complete:
        return status
    if status.blockers:
        why = "; ".join(status.blockers[:3])
    elif len(status.counting) < status.quorum:
        why = (
            f"{len(status.counting)} of the {status.quorum} signatures needed hold "
            f"(EAG members sign with: panel-desk signoff --round {round_ref} --as EMAIL)"
        )
    else:
        why = f"too few signatories not abstaining on {', '.join(status.short[:5])}"
    raise BadInput(round_ref, f"sign-off is not complete, so no decision pack yet: {why}")
