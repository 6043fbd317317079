"""What a reviewer's machine trusts: the hub's certificate authority, taken on first use
and never swapped silently for another, and the certificates that authority issued.

Certificates arrive from the hub in packets; the packet import calls these inside its own
transaction, so a packet refused later leaves no trust behind.
"""

from __future__ import annotations

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import (
    certificate_email,
    certificate_fingerprint,
    certificate_pem,
    is_root_authority,
    issued_by,
    load_certificate,
    serial_hex,
)
from panel_desk.errors import BadInput
from panel_desk.services import audit, keys
from panel_desk.services.enrolment import record_issued
from panel_desk.store.base import utcnow
from panel_desk.store.models import CertificateAuthority, Person, PersonCertificate


def trust_authority(session: Session, authority_pem: str, source: str, actor: str) -> bool:
    """Trust the hub's authority on first use; True when it was recorded just now.

    BadInput when it is not a certificate authority, or this database already trusts (or
    is) another one.
    """
    certificate = load_certificate(authority_pem, source)
    if not is_root_authority(certificate):
        raise BadInput(source, "its authority certificate is not a certificate authority")
    key_fingerprint = certificate_fingerprint(certificate)
    existing = keys.authority_row(session)
    if existing is not None:
        if existing.key_fingerprint == key_fingerprint:
            return False
        raise BadInput(
            source,
            f"comes under the certificate authority {key_fingerprint[:16]}, not the one this "
            f"database trusts ({existing.organisation}, {existing.key_fingerprint[:16]})",
        )
    organisation = certificate.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    name = str(organisation[0].value) if organisation else certificate.subject.rfc4514_string()
    session.add(
        CertificateAuthority(
            organisation=name,
            certificate_pem=certificate_pem(certificate),
            key_fingerprint=key_fingerprint,
            holds_key=False,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "keys.authority_trusted",
        "authority",
        name,
        {"key_fingerprint": key_fingerprint, "source": source},
    )
    return True


def record_certificate(
    session: Session, certificate_pem_text: str, source: str, actor: str
) -> bool:
    """Keep a certificate the trusted authority issued; True when it is new here."""
    certificate = load_certificate(certificate_pem_text, source)
    authority = keys.authority_row(session)
    if authority is None or not issued_by(
        certificate, load_certificate(authority.certificate_pem, "the certificate authority")
    ):
        raise BadInput(source, "holds a certificate not issued by the authority trusted here")
    email = certificate_email(certificate)
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        raise BadInput(source, f"holds a certificate for {email or 'nobody'}, unknown here")
    serial = serial_hex(certificate)
    if session.scalar(
        select(PersonCertificate.id).where(
            PersonCertificate.authority_id == authority.id, PersonCertificate.serial == serial
        )
    ):
        return False
    previous = keys.current_certificate(session, email)
    if previous is not None:
        previous.superseded_at = utcnow()
    record = record_issued(session, person, authority, certificate, "received", actor)
    audit.record(
        session,
        actor,
        "keys.certificate_received",
        "person",
        email,
        {"key_fingerprint": record.key_fingerprint, "serial": serial, "source": source},
    )
    return True
