"""The reviewer roster: importing people from roster.csv, and looking them up.

An import is checked whole before anything is written, then applied in the caller's one
transaction: a bad row stops it with the row and column named and nothing changed. A row
for someone already on the roster replaces what we hold about them; the same file imported
twice changes nothing (and records nothing in the audit trail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.csv_input import Row, read_csv
from panel_desk.services.organisations import OrganisationIndex, organisation_key
from panel_desk.store.models import (
    Affiliation,
    DeclaredInterest,
    ExpertiseTag,
    Person,
    PersonRole,
    Role,
)

ROSTER_COLUMNS = ("email", "name", "roles", "expertise", "affiliations", "declared_interests")


@dataclass(frozen=True)
class AffiliationEntry:
    organisation: str
    starts_on: date | None
    ends_on: date | None


@dataclass(frozen=True)
class RosterEntry:
    """One validated roster row."""

    row: int
    email: str
    name: str
    roles: tuple[str, ...]
    expertise: tuple[str, ...]
    affiliations: tuple[AffiliationEntry, ...]
    interests: tuple[str, ...]
    details: dict[str, str] = field(default_factory=dict)

    def canonical(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": sorted(self.roles),
            "expertise": sorted(self.expertise),
            "affiliations": sorted(
                (organisation_key(a.organisation), str(a.starts_on), str(a.ends_on))
                for a in self.affiliations
            ),
            "interests": sorted(organisation_key(i) for i in self.interests),
            "details": dict(sorted(self.details.items())),
        }


def _person_canonical(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "roles": sorted(r.role for r in person.roles),
        "expertise": sorted(t.tag for t in person.expertise),
        "affiliations": sorted(
            (a.organisation.key, str(a.starts_on), str(a.ends_on)) for a in person.affiliations
        ),
        "interests": sorted(i.organisation.key for i in person.declared_interests),
        "details": dict(sorted(person.details.items())),
    }


def _parse_affiliation(row: Row, text: str) -> AffiliationEntry:
    parts = [p.strip() for p in text.split("|")]
    if len(parts) > 3 or not parts[0]:
        raise row.error(
            "affiliations", f"{text!r} is not Organisation|from|to (dates may be left empty)"
        )
    parts += [""] * (3 - len(parts))
    starts = row.date("affiliations", parts[1]) if parts[1] else None
    ends = row.date("affiliations", parts[2]) if parts[2] else None
    if starts and ends and ends < starts:
        raise row.error("affiliations", f"{text!r} ends before it starts")
    return AffiliationEntry(parts[0], starts, ends)


def parse_roster_row(row: Row, extra_columns: Sequence[str]) -> RosterEntry:
    email = row.email("email")
    name = row.text("name")
    roles = row.items("roles")
    if not roles:
        raise row.error("roles", f"is empty (give one or more of {', '.join(Role)})")
    for role in roles:
        if role.lower() not in set(Role):
            raise row.error("roles", f"unknown role {role!r} (one of {', '.join(Role)})")
    return RosterEntry(
        row=row.number,
        email=email,
        name=name,
        roles=tuple(dict.fromkeys(r.lower() for r in roles)),
        expertise=tuple(dict.fromkeys(t.lower() for t in row.items("expertise"))),
        affiliations=tuple(_parse_affiliation(row, a) for a in row.items("affiliations")),
        interests=tuple(dict.fromkeys(row.items("declared_interests"))),
        details={c: row.cells[c] for c in extra_columns if row.cells.get(c)},
    )


def read_roster(path: Path) -> list[RosterEntry]:
    """Every row of roster.csv, validated; BadInput at the first bad row."""
    header, rows = read_csv(path, ROSTER_COLUMNS)
    extra = [c for c in header if c not in ROSTER_COLUMNS]
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for row in rows:
        entry = parse_roster_row(row, extra)
        if entry.email in seen:
            raise row.error("email", f"{entry.email} is already on row {seen[entry.email]}")
        seen[entry.email] = row.number
        entries.append(entry)
    if not entries:
        raise BadInput(str(path), "has a header but no people")
    return entries


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"


def _apply(person: Person, entry: RosterEntry, orgs: OrganisationIndex) -> None:
    person.name = entry.name
    person.details = dict(entry.details)
    person.roles = [PersonRole(role=r) for r in entry.roles]
    person.expertise = [ExpertiseTag(tag=t) for t in entry.expertise]
    person.affiliations = [
        Affiliation(
            organisation=orgs.get_or_create(a.organisation),
            starts_on=a.starts_on,
            ends_on=a.ends_on,
        )
        for a in entry.affiliations
    ]
    person.declared_interests = [
        DeclaredInterest(organisation=orgs.get_or_create(name)) for name in entry.interests
    ]


def apply_roster(
    session: Session, entries: Sequence[RosterEntry], actor: str, source: str
) -> ImportResult:
    """Write validated roster entries; the caller's transaction makes it all or nothing."""
    existing = {
        p.email: p
        for p in session.scalars(
            select(Person).options(
                selectinload(Person.roles),
                selectinload(Person.expertise),
                selectinload(Person.affiliations).selectinload(Affiliation.organisation),
                selectinload(Person.declared_interests).selectinload(DeclaredInterest.organisation),
            )
        )
    }
    orgs = OrganisationIndex(session)
    added = updated = 0
    changes: list[audit.Change] = []
    for entry in entries:
        person = existing.get(entry.email)
        if person is None:
            person = Person(email=entry.email, name=entry.name)
            session.add(person)
            added += 1
            action = "person.added"
        elif _person_canonical(person) != entry.canonical():
            # Replace the collections wholesale: flush the deletions first so the new rows
            # with the same primary keys (person, role) do not collide with the old ones.
            person.roles, person.expertise = [], []
            person.affiliations, person.declared_interests = [], []
            session.flush()
            updated += 1
            action = "person.updated"
        else:
            continue
        _apply(person, entry, orgs)
        changes.append(audit.Change(actor, action, "person", entry.email, entry.canonical()))
    if changes:
        session.flush()
        audit.record_many(
            session,
            [
                *changes,
                audit.Change(
                    actor,
                    "roster.imported",
                    "roster",
                    Path(source).name,
                    {"added": added, "updated": updated},
                ),
            ],
        )
    return ImportResult(added, updated, len(entries) - added - updated)


def import_roster(session: Session, path: Path, actor: str = audit.SYSTEM) -> ImportResult:
    return apply_roster(session, read_roster(path), actor, str(path))


# ---------------------------------------------------------------------------------------
# Looking people up.


@dataclass(frozen=True)
class PersonSummary:
    email: str
    name: str
    roles: tuple[str, ...]


def list_people(session: Session) -> list[PersonSummary]:
    # Plain rows, not Person objects: the app reads the whole roster (thousands on a big
    # call) at every start, and loading each person's details took most of that time.
    roles: dict[int, list[str]] = {}
    for person_id, role in session.execute(select(PersonRole.person_id, PersonRole.role)):
        roles.setdefault(person_id, []).append(role)
    order = {role.value: n for n, role in enumerate(Role)}
    people = session.execute(
        select(Person.id, Person.email, Person.name).order_by(Person.name, Person.id)
    )
    return [
        PersonSummary(email, name, tuple(sorted(roles.get(person_id, ()), key=order.__getitem__)))
        for person_id, email, name in people
    ]


def person_by_email(session: Session, email: str, source: str = "--as") -> Person:
    person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound(source, f"{email} is not on the roster")
    return person
