"""Enrolment: binding a person's public key to their roster entry, so that only their key
signs for them.

On the hub the secretariat issues a one-time code (`issue_code`) and gives it to the person
out of band; the person's machine makes a request with it (`make_request`, no database
needed); the hub checks the request and issues a certificate (`enrol_request`). People who
work on the hub's own machine are enrolled directly (`enrol_on_hub`). `revoke` ends a key;
services/key_views.py lists everyone's state. Codes are kept only as hashes; a code works
once and expires; a new enrolment supersedes the person's previous certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from panel_desk.crypto import enrolment as proof
from panel_desk.crypto.authority import (
    certificate_fingerprint,
    certificate_pem,
    issue_certificate,
    load_certificate,
    serial_hex,
)
from panel_desk.crypto.keys import PublicKey, fingerprint
from panel_desk.errors import BadInput
from panel_desk.services import audit, keys
from panel_desk.services.roster import person_by_email
from panel_desk.store.base import utcnow
from panel_desk.store.models import CertificateAuthority, EnrolmentCode, Person, PersonCertificate

PENDING, USED, WITHDRAWN = "pending", "used", "withdrawn"
CODE_DAYS = 14


@dataclass(frozen=True)
class IssuedCode:
    email: str
    name: str
    code: str  # shown once, to give to the person; never stored
    expires_at: datetime


@dataclass(frozen=True)
class Enrolled:
    email: str
    name: str
    fingerprint: str
    serial: str
    valid_until: datetime
    already: bool = False  # this very key was already enrolled: nothing changed
    replaced: str = ""  # fingerprint of the key this one replaced


def issue_code(
    session: Session, email: str, actor: str, *, valid_days: int = CODE_DAYS
) -> IssuedCode:
    """A new one-time code for `email`; any code they had and did not use is withdrawn."""
    if not 1 <= valid_days <= 90:
        raise BadInput("--valid-days", f"must be between 1 and 90, got {valid_days}")
    keys.require_hub(session)
    person = person_by_email(session, email, "--person")
    _withdraw_codes(session, person)
    code = proof.new_code()
    expires = utcnow() + timedelta(days=valid_days)
    session.add(
        EnrolmentCode(
            person_id=person.id,
            code_key=proof.code_key(person.email, code),
            issued_by=actor,
            expires_at=expires,
            state=PENDING,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "keys.enrolment_code_issued",
        "person",
        person.email,
        {"expires_at": expires.isoformat()},
    )
    return IssuedCode(person.email, person.name, code, expires)


def _withdraw_codes(session: Session, person: Person) -> None:
    session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.person_id == person.id, EnrolmentCode.state == PENDING)
        .values(state=WITHDRAWN)
    )


def make_request(email: str, code: str, *, passphrase: keys.Passphrase = None) -> bytes:
    """The request file a person's machine sends the hub: their key, proven with the code."""
    normalised = proof.normalise_code(code)
    return proof.build_request(keys.personal_key(email, passphrase=passphrase), email, normalised)


def enrol_request(
    session: Session,
    raw: bytes,
    source: str,
    actor: str,
    *,
    authority_passphrase: keys.Passphrase = None,
) -> Enrolled:
    """Check a request file and issue its certificate; BadInput naming `source` otherwise.

    Repeating an enrolment that succeeded changes nothing (`already`).
    """
    request = proof.read_request(raw, source)
    person = session.scalar(select(Person).where(Person.email == request.email))
    if person is None:
        raise BadInput(source, f"is for {request.email}, who is not on this hub's roster")
    current = keys.current_certificate(session, person.email)
    if current is not None and current.key_fingerprint == fingerprint(request.public_key):
        return _enrolled(person, current, already=True)
    codes = session.scalars(select(EnrolmentCode).where(EnrolmentCode.person_id == person.id)).all()
    matching = next((c for c in codes if request.proven_by(c.code_key)), None)
    if matching is None:
        raise BadInput(
            source,
            f"was not made with an enrolment code issued to {person.email} (a changed file, "
            "a mistyped code, or a code for someone else)",
        )
    if matching.state != PENDING:
        raise BadInput(
            source, f"uses an enrolment code that was {matching.state}; issue a new code"
        )
    if matching.expires_at < utcnow():
        raise BadInput(
            source,
            f"uses an enrolment code that expired on {matching.expires_at:%Y-%m-%d}; "
            "issue a new code",
        )
    matching.state = USED
    return _issue(
        session, person, request.public_key, "code", actor, passphrase=authority_passphrase
    )


def enrol_on_hub(
    session: Session,
    email: str,
    actor: str,
    *,
    passphrase: keys.Passphrase = None,
    authority_passphrase: keys.Passphrase = None,
) -> Enrolled:
    """Enrol the key `email` has on this very machine (the hub's own people)."""
    person = person_by_email(session, email)
    public = keys.personal_key(person.email, passphrase=passphrase).public_key()
    current = keys.current_certificate(session, person.email)
    if current is not None and current.key_fingerprint == fingerprint(public):
        return _enrolled(person, current, already=True)
    return _issue(session, person, public, "on_hub", actor, passphrase=authority_passphrase)


def _enrolled(person: Person, record: PersonCertificate, *, already: bool) -> Enrolled:
    return Enrolled(
        person.email,
        person.name,
        record.key_fingerprint,
        record.serial,
        record.not_after,
        already=already,
    )


def _issue(
    session: Session,
    person: Person,
    public: PublicKey,
    method: str,
    actor: str,
    *,
    passphrase: keys.Passphrase,
) -> Enrolled:
    authority = keys.authority_row(session)
    signing_key = keys.authority_key(session, passphrase=passphrase)
    assert authority is not None
    certificate = issue_certificate(
        load_certificate(authority.certificate_pem, "the certificate authority"),
        signing_key,
        public,
        email=person.email,
        name=person.name,
    )
    previous = keys.current_certificate(session, person.email)
    if previous is not None:
        previous.superseded_at = utcnow()  # what it signed stands; it signs nothing new
    record = record_issued(session, person, authority, certificate, method, actor)
    _withdraw_codes(session, person)
    audit.record(
        session,
        actor,
        "keys.enrolled",
        "person",
        person.email,
        {
            "key_fingerprint": record.key_fingerprint,
            "serial": record.serial,
            "method": method,
            "replaced": previous.key_fingerprint if previous else "",
        },
    )
    return Enrolled(
        person.email,
        person.name,
        record.key_fingerprint,
        record.serial,
        record.not_after,
        replaced=previous.key_fingerprint if previous else "",
    )


def record_issued(
    session: Session,
    person: Person,
    authority: CertificateAuthority,
    certificate: x509.Certificate,
    method: str,
    actor: str,
) -> PersonCertificate:
    record = PersonCertificate(
        person_id=person.id,
        authority_id=authority.id,
        serial=serial_hex(certificate),
        key_fingerprint=certificate_fingerprint(certificate),
        certificate_pem=certificate_pem(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        enrolled_by=actor,
        method=method,
    )
    session.add(record)
    session.flush()
    return record


def revoke(session: Session, email: str, reason: str, actor: str) -> str:
    """End the key in force for `email` (and withdraw their codes); returns its fingerprint."""
    if not reason.strip():
        raise BadInput("--reason", "say why the key is revoked (it goes on the record)")
    person = person_by_email(session, email, "--person")
    record = keys.current_certificate(session, person.email)
    if record is None:
        raise BadInput("--person", f"{person.email} has no enrolled key to revoke")
    record.revoked_at = utcnow()
    record.revoke_reason = reason.strip()
    _withdraw_codes(session, person)
    audit.record(
        session,
        actor,
        "keys.revoked",
        "person",
        person.email,
        {"key_fingerprint": record.key_fingerprint, "serial": record.serial, "reason": reason},
    )
    return record.key_fingerprint
