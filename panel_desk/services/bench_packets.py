"""The benchmark round's reviewers as the hub knows them once peer review is under way:
enrolled (a key pair each, and a certificate from the hub's authority) and sent their
first packet.

Written directly, in bulk: enrolment has no bulk door (each reviewer comes to the hub with
a one-time code), and a packet's file would only be read by a reviewer's laptop; what the
hub keeps of both is what the return import checks against.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.x509 import Certificate
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from panel_desk.crypto.authority import (
    certificate_fingerprint,
    certificate_pem,
    create_authority,
    issue_certificate,
    serial_hex,
)
from panel_desk.crypto.keys import PrivateKey, fingerprint, generate_private_key
from panel_desk.services import audit, keys
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    CertificateAuthority,
    IssuedPacket,
    Person,
    PersonCertificate,
    PersonRole,
    Round,
    Submission,
)

ROUND_REF = "BENCH-2026"
ACTOR = "bench"
ORGANISATION = "Benchmark Centre"


@dataclass(frozen=True)
class Reviewer:
    email: str
    key: PrivateKey
    packet_id: str
    submissions: tuple[str, ...]  # refs, in the packet's order


def hub_authority(session: Session, in_keystore: bool) -> tuple[Certificate, PrivateKey, int]:
    """The hub's authority. Its key stays in memory unless `in_keystore` (for a round that
    goes on to sign-off, whose members are enrolled as `keys authority-init` allows): the
    big round never issues anything afterwards, and must leave no key in the user's
    keyring."""
    if in_keystore:
        keys.set_up_authority(session, ORGANISATION, ACTOR)
        row = keys.authority_row(session)
        assert row is not None
        return keys.authority_certificate(session), keys.authority_key(session), row.id
    authority_key = generate_private_key()
    authority = create_authority(ORGANISATION, authority_key)
    authority_id = session.scalars(
        insert(CertificateAuthority).returning(CertificateAuthority.id),
        [
            {
                "organisation": ORGANISATION,
                "certificate_pem": certificate_pem(authority),
                "key_fingerprint": fingerprint(authority_key),
                "holds_key": False,
            }
        ],
    ).one()
    return authority, authority_key, authority_id


def enrol_reviewers(session: Session, in_keystore: bool) -> dict[str, PrivateKey]:
    """An authority for the hub (see `hub_authority`), and a key pair and certificate for every
    reviewer."""
    authority, authority_key, authority_id = hub_authority(session, in_keystore)
    reviewers = session.execute(
        select(Person.id, Person.email, Person.name)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == "reviewer")
        .order_by(Person.id)
    ).all()
    made: dict[str, PrivateKey] = {}
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for person_id, email, name in reviewers:
        key = made[email] = generate_private_key()
        certificate = issue_certificate(
            authority, authority_key, key.public_key(), email=email, name=name
        )
        rows.append(
            {
                "person_id": person_id,
                "authority_id": authority_id,
                "serial": serial_hex(certificate),
                "key_fingerprint": certificate_fingerprint(certificate),
                "certificate_pem": certificate_pem(certificate),
                "not_before": certificate.not_valid_before_utc,
                "not_after": certificate.not_valid_after_utc,
                "enrolled_at": now,
                "enrolled_by": ACTOR,
                "method": "on_hub",
            }
        )
    session.execute(insert(PersonCertificate), rows)
    audit.record(
        session, ACTOR, "keys.enrolled_for_bench", "round", ROUND_REF, {"people": len(rows)}
    )
    return made


def issue_packets(
    session: Session, enrolled: dict[str, PrivateKey], secretariat: str
) -> tuple[Reviewer, ...]:
    """The packets each reviewer was sent, on record as export_packet records them."""
    round_id = session.scalar(select(Round.id).where(Round.ref == ROUND_REF))
    assigned: dict[tuple[int, str], list[str]] = {}
    for person_id, email, ref in session.execute(
        select(Person.id, Person.email, Submission.ref)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(Assignment.round_id == round_id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Person.id, Submission.ref)
    ):
        assigned.setdefault((person_id, email), []).append(ref)
    now = utcnow()
    reviewers, rows, changes = [], [], []
    for (person_id, email), refs in assigned.items():
        packet_id = str(uuid.uuid4())
        reviewers.append(Reviewer(email, enrolled[email], packet_id, tuple(refs)))
        rows.append(
            {
                "packet_id": packet_id,
                "round_id": round_id,
                "person_id": person_id,
                "sequence": 1,
                "issued_at": now,
                "issued_by": secretariat,
                "manifest_sha256": "0" * 64,
                "submissions": refs,
                "file_name": f"{email}.pdpacket",
            }
        )
        changes.append(
            audit.Change(
                secretariat,
                "packet.issued",
                "round",
                ROUND_REF,
                {"packet": packet_id, "sequence": 1, "reviewer": email, "submissions": refs},
                concerns=(("person", email),),
            )
        )
    session.execute(insert(IssuedPacket), rows)
    audit.record_many(session, changes)
    return tuple(reviewers)
