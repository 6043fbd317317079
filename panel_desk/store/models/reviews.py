"""Assignments of reviewers to submissions, their reviews (versioned) and scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_desk.store.base import Base, utcnow


class Assignment(Base):
    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviews: Mapped[list[Review]] = relationship(
        back_populates="assignment", order_by="Review.version", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("submission_id", "person_id"),)


class Review(Base):
    """One version of a reviewer's review. Submitted versions are never changed again:
    a correction is a new version carrying its reason."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"))
    version: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))
    recommendation: Mapped[str | None] = mapped_column(String(100))
    conditions: Mapped[str] = mapped_column(default="")
    comment: Mapped[str] = mapped_column(default="")
    no_conflict_certified: Mapped[bool] = mapped_column(default=False)
    correction_reason: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    assignment: Mapped[Assignment] = relationship(back_populates="reviews")
    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("assignment_id", "version"),)


class Score(Base):
    """A reviewer's value on one criterion: `value` as given, `points` when the scale is numeric."""

    __tablename__ = "score"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"), index=True)
    value: Mapped[str] = mapped_column(String(100))
    points: Mapped[float | None]
    comment: Mapped[str] = mapped_column(default="")

    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)
