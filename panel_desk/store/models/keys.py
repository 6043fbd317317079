"""Certificates and enrolment: the hub's authority, one-time codes, people's certificates.

Only public material is kept here. Private keys live in the OS keyring (or a
passphrase-protected file the user chose), never in a database; an enrolment code is kept
only as a hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_desk.store.base import Base, utcnow
from panel_desk.store.models.people import Person


class CertificateAuthority(Base):
    """The organisation's certificate authority: its certificate, and whether we hold its key.

    On the hub `holds_key` is true (the key is in the hub's keyring, filed by
    `key_fingerprint`); a reviewer's database keeps the hub's certificate to trust only.
    """

    __tablename__ = "certificate_authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(300))
    certificate_pem: Mapped[str]
    key_fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    holds_key: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnrolmentCode(Base):
    """A one-time code given to a person out of band; only its hash (`code_key`) is kept."""

    __tablename__ = "enrolment_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code_key: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[str] = mapped_column(String(320))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))  # pending, used, withdrawn

    person: Mapped[Person] = relationship()


class PersonCertificate(Base):
    """A certificate binding a person's public key to their roster entry.

    At most one per person is in force (neither superseded nor revoked). Enrolling a new key
    supersedes the one before: what it signed while in force still verifies, but it signs
    nothing new. Revoking (a lost laptop, someone leaving) means nothing it signed is
    trusted any more. Every key a person ever had stays on record.
    """

    __tablename__ = "person_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("certificate_authority.id"), index=True)
    serial: Mapped[str] = mapped_column(String(40))  # hex: 159-bit serials exceed an integer
    key_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    certificate_pem: Mapped[str]
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_by: Mapped[str] = mapped_column(String(320))
    method: Mapped[str] = mapped_column(String(20))  # code, on_hub, received
    superseded_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(default="")

    person: Mapped[Person] = relationship()
    authority: Mapped[CertificateAuthority] = relationship()

    __table_args__ = (UniqueConstraint("authority_id", "serial"),)
