"""What the decisions feed: lineage between submissions, annotations and annual returns.

The registers of endorsed credentials and approved providers have no table: they are
derived from signed-off rounds' current recommendations (services/registers.py), so no one
can edit them by hand and an appeal that voids a sign-off takes its entries off at once.
What is kept here is what the secretariat records beside the decisions:

- `LineageLink`: a proposal (gateway) developed into a specification (endorsement); an
  endorsed credential (its endorsement submission) delivered by a provider (provider
  approval) or reviewed (periodic review). Links join submissions, not recommendation
  versions, so an appeal that reopens a decision leaves them standing.
- `Annotation`: a practitioner's completion of an endorsed credential with a provider
  approved for it on the completion date.
- `AnnualReturn`: a provider's take-up, progression and completion numbers for one
  credential and reporting (academic) year, with its enhancement themes.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from panel_desk.store.base import Base, utcnow


class LineageLink(Base):
    """`parent` led to `child`: a proposal to its specification, a credential to a
    provider's application to deliver it or to a periodic review of it."""

    __tablename__ = "lineage_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))  # specification, delivery, review
    basis: Mapped[str] = mapped_column(String(300), default="")  # how the link was made
    linked_by: Mapped[str] = mapped_column(String(320), default="")
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("parent_id", "child_id"),)


class Annotation(Base):
    """A practitioner's completion of an endorsed credential, annotated on the directory.

    `credential_id` is the endorsement submission that is the credential.
    """

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(String(60), index=True)
    practitioner_name: Mapped[str] = mapped_column(String(300))
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    completed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(300), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("practitioner_id", "credential_id"),)


class AnnualReturn(Base):
    """A provider's annual return for one credential and reporting year.

    `year` is the first calendar year of the academic reporting year (2026 is 2026-27).
    """

    __tablename__ = "annual_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    credential_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    take_up: Mapped[int]
    progressing: Mapped[int]
    completed: Mapped[int]
    themes: Mapped[str] = mapped_column(default="")
    received_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(300), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("provider_id", "credential_id", "year"),)
