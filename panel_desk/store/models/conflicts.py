"""Conflicts of interest: which rule fired for which person and submission, and on what evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from panel_desk.store.base import Base, utcnow


class ConflictFlag(Base):
    """A potential conflict: `rule` names the rule, `evidence` holds what made it fire.

    A hard flag blocks assignment; a soft one needs a recorded decision. A decision keeps
    who made it, why, and (for a hard flag) the second person who agreed.
    """

    __tablename__ = "conflict_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    evidence: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    seconded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("person_id", "submission_id", "rule"),)
