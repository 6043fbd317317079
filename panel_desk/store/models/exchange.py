"""Exchange files on record: packets the hub issued and returns it accepted; on a reviewer's
machine, packets imported and returns made.

The hub binds each return to a packet it issued (to that reviewer, for that round), and
orders returns by (packet sequence, return sequence) so that an older return replayed after
a newer one is refused. A reviewer's database refuses a packet it already imported, or one
older than the newest it holds. Digests are SHA-256 of the signed manifest's bytes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from panel_desk.store.base import Base, utcnow


class IssuedPacket(Base):
    """Hub: a packet exported for one reviewer in one round; `sequence` counts 1, 2, 3… per
    (round, reviewer), so a newer packet is known to be newer wherever it arrives."""

    __tablename__ = "issued_packet"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[str] = mapped_column(String(36), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    sequence: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(320))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    submissions: Mapped[list[str]]
    """The refs of the submissions the packet assigned: a return may review only these."""
    file_name: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (UniqueConstraint("round_id", "person_id", "sequence"),)


class ReceivedReturn(Base):
    """Hub: a return accepted (or found to change nothing) from a reviewer."""

    __tablename__ = "received_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[str] = mapped_column(String(36), unique=True)
    issued_packet_id: Mapped[int] = mapped_column(ForeignKey("issued_packet.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    packet_sequence: Mapped[int]
    sequence: Mapped[int]
    created_at: Mapped[datetime]
    """When the reviewer's machine made it (its clock)."""
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by: Mapped[str] = mapped_column(String(320))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_name: Mapped[str] = mapped_column(String(300), default="")


class ImportedPacket(Base):
    """Reviewer's machine: a packet imported from the hub, as issued there."""

    __tablename__ = "imported_packet"

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[str] = mapped_column(String(36), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    sequence: Mapped[int]
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(320))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(300), default="")


class ExportedReturn(Base):
    """Reviewer's machine: a signed return made here; `sequence` counts per round."""

    __tablename__ = "exported_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[str] = mapped_column(String(36), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    packet_id: Mapped[str] = mapped_column(String(36))
    sequence: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300), default="")


class AttachedReturn(Base):
    """Reviewer's machine: a provider's annual return (or a return owed and missing) that a
    packet attached to a periodic-review submission, as the hub held it when the packet
    was made. The hub itself reads annual_return; this is the reviewer's copy."""

    __tablename__ = "attached_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(300))
    credential: Mapped[str] = mapped_column(String(500))
    year: Mapped[int]
    due_on: Mapped[date]
    received_on: Mapped[date | None]
    take_up: Mapped[int | None]
    progressing: Mapped[int | None]
    completed: Mapped[int | None]
    themes: Mapped[str] = mapped_column(default="")

    __table_args__ = (UniqueConstraint("submission_id", "provider", "credential", "year"),)
