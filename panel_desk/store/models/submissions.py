"""Submissions to a round: template fields, organisations, named people, documents, screening."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_desk.store.base import Base, utcnow


class Submission(Base):
    """A proposal, specification, provider application or annual report put to a round.

    `content_digest` is a hash of everything the submitter sent; importing the same row
    again changes nothing, a changed row after gaps were returned is a resubmission.
    """

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(500))
    lead_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    area: Mapped[str] = mapped_column(String(100), default="")
    screening_state: Mapped[str] = mapped_column(String(30))
    content_digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    partners: Mapped[list[SubmissionPartner]] = relationship(cascade="all, delete-orphan")
    named_people: Mapped[list[NamedPerson]] = relationship(cascade="all, delete-orphan")
    fields: Mapped[list[TemplateField]] = relationship(cascade="all, delete-orphan")
    documents: Mapped[list[Document]] = relationship(cascade="all, delete-orphan")
    screening_checks: Mapped[list[ScreeningCheck]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("round_id", "ref"),)


class SubmissionPartner(Base):
    __tablename__ = "submission_partner"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), primary_key=True, index=True
    )


class NamedPerson(Base):
    """Someone named in a submission (by e-mail), whether or not they are on the roster."""

    __tablename__ = "named_person"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(320), primary_key=True, index=True)


class TemplateField(Base):
    """One answer in the stage's Centre template (a CSV column beyond the fixed ones)."""

    __tablename__ = "template_field"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    value: Mapped[str] = mapped_column(default="")


class Document(Base):
    """A file sent with a submission, kept content-addressed by its SHA-256."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    blob_path: Mapped[str] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("submission_id", "name"),)


class DocumentContent(Base):
    """The bytes of a document, once per SHA-256, in the database itself: on a shared hub
    every secretariat user reads them, whichever machine imported them. Documents imported
    before this table existed may have their bytes only in the importing machine's file
    store (`Document.blob_path`); services/document_store.py reads those as a fallback."""

    __tablename__ = "document_content"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScreeningCheck(Base):
    """Whether one required template field or document was present when last screened."""

    __tablename__ = "screening_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    item_kind: Mapped[str] = mapped_column(String(20))
    item_key: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(300))
    present: Mapped[bool]
    gap_note: Mapped[str] = mapped_column(default="")
    satisfied_by: Mapped[str] = mapped_column(String(300), default="")
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("submission_id", "item_kind", "item_key"),)


Index("ix_submission_round_state", Submission.round_id, Submission.screening_state)
