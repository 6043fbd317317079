"""Checking a signature against the record: the key enrolled for a person, or a
certificate from the authority this database trusts, and not revoked here.

`verify_enrolled` is for what a named person sends the hub (returns): only the key the hub
enrolled for them counts, whatever certificate the file carries. `verify_under_authority`
is for what the hub's people sign (packets on a reviewer's machine, sign-off): the
certificate carried must come from the trusted authority and not be revoked in this
database. Both raise VerificationFailed with reasons naming the signer; the `*_verifier`
factories turn that into BadInput naming the file, as services/exchange/container.py wants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import load_certificate
from panel_desk.crypto.signing import Signature, VerifiedSignature, verify_signature
from panel_desk.errors import BadInput, NotFound, VerificationFailed
from panel_desk.services.keys import authority_certificate, current_certificate
from panel_desk.store.models import Person, PersonCertificate

Verifier = Callable[[bytes, bytes, Mapping[str, Any]], None]
"""As services/exchange/container.py calls it: (manifest bytes, signature bytes, manifest)."""


def _as_signature(signature: Signature | bytes, subject: str) -> Signature:
    if isinstance(signature, Signature):
        return signature
    try:
        return Signature.from_bytes(signature, subject)
    except BadInput as exc:
        raise VerificationFailed(subject, [exc.problem]) from None


def verify_enrolled(
    session: Session,
    payload: bytes,
    signature: Signature | bytes,
    *,
    expected_signer: str,
    subject: str,
) -> VerifiedSignature:
    """The signature holds for the key enrolled for `expected_signer`, or VerificationFailed
    naming the signer (unenrolled, revoked, another key, changed content)."""
    signature = _as_signature(signature, subject)
    expected = expected_signer.strip().lower()
    if signature.signer != expected:
        raise VerificationFailed(
            subject, [f"signed by {signature.signer}, but it must be signed by {expected}"]
        )
    record = current_certificate(session, expected)
    if record is None:
        raise VerificationFailed(subject, [_why_not_enrolled(session, signature)])
    try:
        return verify_signature(
            payload,
            signature,
            subject=subject,
            authority=load_certificate(record.authority.certificate_pem, "authority"),
            enrolled=load_certificate(record.certificate_pem, subject),
        )
    except VerificationFailed as exc:
        older = _earlier_with_key(session, expected, signature.key_fingerprint)
        if older is not None:
            exc.failures.append(_earlier_words(signature.signer, older))
        raise


def _earlier_with_key(session: Session, email: str, key: str) -> PersonCertificate | None:
    """A certificate no longer in force that `email` once had for this key."""
    return session.scalars(
        select(PersonCertificate)
        .join(Person, Person.id == PersonCertificate.person_id)
        .where(
            Person.email == email,
            PersonCertificate.key_fingerprint == key,
            (PersonCertificate.revoked_at.is_not(None))
            | (PersonCertificate.superseded_at.is_not(None)),
        )
        .order_by(PersonCertificate.id.desc())
    ).first()


def _earlier_words(who: str, record: PersonCertificate) -> str:
    if record.revoked_at is not None:
        return (
            f"the key that signed was enrolled for {who} but revoked on "
            f"{record.revoked_at:%Y-%m-%d} ({record.revoke_reason})"
        )
    assert record.superseded_at is not None
    return (
        f"the key that signed was enrolled for {who} until {record.superseded_at:%Y-%m-%d}, "
        "when a newer key replaced it"
    )


def _why_not_enrolled(session: Session, signature: Signature) -> str:
    who = signature.signer
    if session.scalar(select(Person.id).where(Person.email == who)) is None:
        return f"signed by {who}, who is not on this hub's roster"
    older = _earlier_with_key(session, who, signature.key_fingerprint)
    if older is not None:
        return f"signed by {who}: {_earlier_words(who, older)}"
    return f"signed by {who}, who has no enrolled key on this hub"


def verify_under_authority(
    session: Session,
    payload: bytes,
    signature: Signature | bytes,
    *,
    subject: str,
    expected_signer: str | None = None,
    at: datetime | None = None,
) -> VerifiedSignature:
    """The signature holds, its certificate comes from the authority this database trusts,
    and this database has not revoked it; VerificationFailed otherwise.

    A certificate superseded by a newer enrolment still counts: what its key signed while
    in force stands. `at` checks validity at another moment than now (e.g. the time a
    sign-off was recorded), for certificates that have since expired.
    """
    signature = _as_signature(signature, subject)
    try:
        authority = authority_certificate(session)
    except NotFound:
        raise VerificationFailed(
            subject, ["this database trusts no certificate authority yet"]
        ) from None
    verified = verify_signature(
        payload,
        signature,
        subject=subject,
        authority=authority,
        expected_signer=expected_signer,
        at=at,
    )
    revoked = session.scalars(
        select(PersonCertificate).where(
            PersonCertificate.serial == verified.certificate_serial,
            PersonCertificate.revoked_at.is_not(None),
        )
    ).first()
    if revoked is not None:
        raise VerificationFailed(
            subject, [f"signed by {verified.signer}: " + _earlier_words(verified.signer, revoked)]
        )
    return verified


def enrolled_verifier(
    session: Session, source: str, signer_of: Callable[[Mapping[str, Any]], str]
) -> Verifier:
    """A verifier for services/exchange/container.py: the manifest must be signed by the key
    enrolled for `signer_of(manifest)`; failures become BadInput naming `source`."""

    def verify(payload: bytes, signature: bytes, manifest: Mapping[str, Any]) -> None:
        try:
            verify_enrolled(
                session, payload, signature, expected_signer=signer_of(manifest), subject=source
            )
        except VerificationFailed as exc:
            raise BadInput(source, "; ".join(exc.failures)) from None

    return verify


def authority_verifier(
    session: Session,
    source: str,
    signer_of: Callable[[Mapping[str, Any]], str | None] = lambda manifest: None,
) -> Verifier:
    """A container verifier: signed under the authority this database trusts."""

    def verify(payload: bytes, signature: bytes, manifest: Mapping[str, Any]) -> None:
        try:
            verify_under_authority(
                session, payload, signature, subject=source, expected_signer=signer_of(manifest)
            )
        except VerificationFailed as exc:
            raise BadInput(source, "; ".join(exc.failures)) from None

    return verify
