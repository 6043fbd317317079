"""The exchange as a reviewer's own database sees it: the packets it imported for a round,
the returns made from it, and whether anything changed since the last return was made.

Reading only; the page "Packets and returns" shows it, so a reviewer knows what to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.services.review_assignments import OWN_DECLARATION_RULE
from panel_desk.services.roster import person_by_email
from panel_desk.store.models import (
    Assignment,
    ConflictFlag,
    ExportedReturn,
    ImportedPacket,
    Review,
    Round,
)


@dataclass(frozen=True)
class PacketHeld:
    sequence: int
    issued_at: datetime
    issued_by: str
    imported_at: datetime
    file_name: str


@dataclass(frozen=True)
class ReturnMadeHere:
    sequence: int
    created_at: datetime
    file_name: str


@dataclass(frozen=True)
class LaptopExchange:
    round_ref: str
    reviewer: str
    packets: tuple[PacketHeld, ...]
    returns: tuple[ReturnMadeHere, ...]
    last_change: datetime | None  # the latest change to my reviews or declarations here

    @property
    def from_packet(self) -> bool:
        return bool(self.packets)

    @property
    def unsent(self) -> bool:
        """Something changed since the last return (or there has been none)."""
        if self.last_change is None:
            return False
        return not self.returns or self.last_change > self.returns[-1].created_at


def laptop_exchange(session: Session, email: str, round_id: int) -> LaptopExchange:
    person = person_by_email(session, email)
    round_ = session.get_one(Round, round_id)
    packets = tuple(
        PacketHeld(p.sequence, p.issued_at, p.issued_by, p.imported_at, p.file_name)
        for p in session.scalars(
            select(ImportedPacket)
            .where(ImportedPacket.round_id == round_id, ImportedPacket.person_id == person.id)
            .order_by(ImportedPacket.sequence)
        )
    )
    returns = tuple(
        ReturnMadeHere(r.sequence, r.created_at, r.file_name)
        for r in session.scalars(
            select(ExportedReturn)
            .where(ExportedReturn.round_id == round_id, ExportedReturn.person_id == person.id)
            .order_by(ExportedReturn.sequence)
        )
    )
    reviewed = session.scalar(
        select(func.max(Review.updated_at))
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(Assignment.round_id == round_id, Assignment.person_id == person.id)
    )
    declared = session.scalar(
        select(func.max(ConflictFlag.created_at)).where(
            ConflictFlag.round_id == round_id,
            ConflictFlag.person_id == person.id,
            ConflictFlag.rule == OWN_DECLARATION_RULE,
        )
    )
    changes = [moment for moment in (reviewed, declared) if moment is not None]
    if packets:  # what came in a packet is the hub's already
        changes = [moment for moment in changes if moment > packets[0].imported_at]
    return LaptopExchange(
        round_.ref, person.email, packets, returns, max(changes) if changes else None
    )
