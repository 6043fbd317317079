"""Rounds (calls) and the criteria sets they are reviewed against."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_desk.store.base import Base, utcnow


class CriteriaSet(Base):
    """A snapshot of one criteria file, taken when a round is created.

    Rounds keep the criteria they were opened with even if the shipped file later changes;
    `sha256` of the file's bytes identifies the snapshot, and `spec` keeps the parts that
    are not criteria (recommendation options, screening requirements, expertise mix).
    """

    __tablename__ = "criteria_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    source_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    competitive: Mapped[bool]
    divergence_threshold: Mapped[float]
    spec: Mapped[dict[str, Any]]

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="criteria_set", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(Base):
    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    criteria_set_id: Mapped[int] = mapped_column(
        ForeignKey("criteria_set.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(300))
    group: Mapped[str] = mapped_column(String(200), default="")
    guidance: Mapped[str] = mapped_column(default="")
    scale_kind: Mapped[str] = mapped_column(String(20))  # "categorical" or "numeric"
    options: Mapped[list[str] | None] = mapped_column(default=None)
    passing: Mapped[list[str] | None] = mapped_column(default=None)
    min_value: Mapped[int | None]
    max_value: Mapped[int | None]
    weight: Mapped[float] = mapped_column(default=0.0)
    gateway: Mapped[bool] = mapped_column(default=False)
    divergence_threshold: Mapped[float | None]

    criteria_set: Mapped[CriteriaSet] = relationship(back_populates="criteria")

    __table_args__ = (UniqueConstraint("criteria_set_id", "key"),)


class Round(Base):
    """One call at one stage: its submissions go through screening to a decision pack."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(60), unique=True)
    stage: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(30))
    criteria_set_id: Mapped[int] = mapped_column(ForeignKey("criteria_set.id"), index=True)
    opens_on: Mapped[date]
    review_deadline: Mapped[date | None]
    moderation_deadline: Mapped[date | None]
    places: Mapped[int | None]
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    lookback_years: Mapped[int] = mapped_column(default=3)
    signoff_quorum: Mapped[int] = mapped_column(default=2)
    shared_mail_domains: Mapped[list[str] | None] = mapped_column(default=None)
    # Moderation: this round's divergence thresholds, where they differ from the criteria
    # set's (a round-wide default, and per criterion key), and the cut-line as the chair
    # moved it (places above the line), with why, by whom (e-mail) and when.
    divergence_threshold: Mapped[float | None]
    criterion_thresholds: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    cutline_places: Mapped[int | None]
    cutline_rationale: Mapped[str] = mapped_column(default="")
    cutline_moved_by: Mapped[str] = mapped_column(String(320), default="")
    cutline_moved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    criteria_set: Mapped[CriteriaSet] = relationship()
