"""The audit trail: one row per state change, each hashing the one before it.

Beside the events: the chain's head (the last event's number and hash, sealed by the
machine that wrote it) so that removing events from the end shows, and an index of what
each event concerns (submissions, people, rounds) for the audit view and a submission's
history. The index is a convenience, not evidence: only events and the head are checked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from panel_desk.store.base import Base, utcnow


class AuditEvent(Base):
    """`hash` covers this event's fields and `prev_hash`, so editing, deleting, inserting
    or reordering any row breaks the chain from that row on."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_ref: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[str]
    payload_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last event as the writer left it, in the same transaction (one row).

    `seal` is an HMAC of (seq, hash) under the key named by `key_id`, which lives in the
    OS keyring of the machine that wrote it and never in the database; both are empty
    where no keyring was available."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    seal: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditConcern(Base):
    """What an event concerns: ("submission", "ROUND/REF"), ("person", email), ("round", REF)."""

    __tablename__ = "audit_concern"
    __table_args__ = (Index("ix_audit_concern_kind_ref", "kind", "ref"),)

    event_seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    ref: Mapped[str] = mapped_column(String(320), primary_key=True)
