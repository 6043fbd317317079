"""The audit trail: one row per state change, each hashing the one before it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
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
