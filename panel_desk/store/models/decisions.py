"""What happens after peer review: moderation, recommendations, sign-off, appeals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from panel_desk.store.base import Base, utcnow


class ModerationItem(Base):
    """The chair's moderated value for one divergent item, with the rationale.

    `item_key` is a criterion key, or `recommendation` for the overall recommendation.
    """

    __tablename__ = "moderation_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(80))
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("criterion.id"))
    moderated_value: Mapped[str] = mapped_column(String(100))
    rationale: Mapped[str]
    chair_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("submission_id", "item_key"),)


class Recommendation(Base):
    """The moderated recommendation for a submission; an upheld appeal adds a new version."""

    __tablename__ = "recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    version: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(100))
    conditions: Mapped[str] = mapped_column(default="")
    feedback: Mapped[str] = mapped_column(default="")
    rationale: Mapped[str] = mapped_column(default="")
    current: Mapped[bool] = mapped_column(default=True)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("submission_id", "version"),)


class SignOff(Base):
    """An EAG member's signature over the digest of a round's recommendation set.

    `abstentions` are the submission refs the member abstained on (a conflict of interest,
    or a part they took in the review), `statement` what they said of it; both are inside
    what the signature covers. A signature stops counting when voided (the recommendations
    changed after it was made), with the reason.
    """

    __tablename__ = "sign_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    certificate_pem: Mapped[str]
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    abstentions: Mapped[list[str]] = mapped_column(default=list)
    statement: Mapped[str] = mapped_column(default="")
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str] = mapped_column(default="")


class Appeal(Base):
    """A complaint or appeal on grounds of procedural irregularity, and how it ended."""

    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    lodged_on: Mapped[date]
    grounds: Mapped[str]
    status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(default="")
    decided_at: Mapped[datetime | None]
    # Who appealed (as they signed it), who recorded and who decided it (e-mails), and the
    # recommendation version an upheld appeal opened.
    appellant: Mapped[str] = mapped_column(String(300), default="")
    recorded_by: Mapped[str] = mapped_column(String(320), default="")
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    reopened_version: Mapped[int | None]
