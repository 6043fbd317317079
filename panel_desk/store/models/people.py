"""Organisations and the people on a Centre's roster: roles, expertise, affiliations, interests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel_desk.store.base import Base, utcnow


class Organisation(Base):
    """A lead or partner organisation, a provider, an employer.

    `key` is the name normalised for matching (case, punctuation, common suffixes); two
    spellings of one organisation share a key or are joined through `OrganisationAlias`.
    """

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300), unique=True)

    aliases: Mapped[list[OrganisationAlias]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class OrganisationAlias(Base):
    """Another name or mail domain of an organisation, kept by the secretariat."""

    __tablename__ = "organisation_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # "name" or "domain"
    alias: Mapped[str] = mapped_column(String(300))

    organisation: Mapped[Organisation] = relationship(back_populates="aliases")

    __table_args__ = (UniqueConstraint("kind", "alias"),)


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Roster columns beyond the fixed ones, kept as they came."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan")
    expertise: Mapped[list[ExpertiseTag]] = relationship(cascade="all, delete-orphan")
    affiliations: Mapped[list[Affiliation]] = relationship(cascade="all, delete-orphan")
    declared_interests: Mapped[list[DeclaredInterest]] = relationship(cascade="all, delete-orphan")


class PersonRole(Base):
    __tablename__ = "person_role"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ExpertiseTag(Base):
    """A free tag such as `area:frailty`, `assessment`, `curriculum`, `resources`, `ppi`."""

    __tablename__ = "expertise_tag"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class Affiliation(Base):
    """A person's link to an organisation; `ends_on` empty means it is current."""

    __tablename__ = "affiliation"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    organisation: Mapped[Organisation] = relationship()


class DeclaredInterest(Base):
    __tablename__ = "declared_interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    note: Mapped[str] = mapped_column(default="")

    organisation: Mapped[Organisation] = relationship()
