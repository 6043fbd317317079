"""Providers' annual returns: take-up, progression and completions per credential and year.

"Education providers approved to deliver credentials have to comply with [...] annual
reporting; submission of data on take-up and progression rates; periodic review." A
provider sends one file (`credential,year,take_up,progressing,completed,themes`); it is
imported for that provider, all or nothing, each refused row with its reason. A return
for a credential the provider was never approved for is refused. Importing the same file
again changes nothing; a changed figure is a correction, recorded as such.

The reporting year is the academic year, 1 August to 31 July, named by its first calendar
year (2026 is 2026-27); its return is due by `DUE` (31 October) after it ends. For every
approval on the register, `return_status` lists each year it was in force: received (on
time or late), missing once the due date has passed, or not yet due. A periodic review of
a credential (linked to it, lineage.py) opens with the credential's returns attached:
`returns_for_submission`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit, lineage
from panel_desk.services.annotations import find_credential, refuse_rows
from panel_desk.services.csv_input import Row, read_csv
from panel_desk.services.organisations import OrganisationIndex
from panel_desk.services.registers import Registers, build_registers
from panel_desk.store.models import AnnualReturn, Organisation, Submission

COLUMNS = ("credential", "year", "take_up", "progressing", "completed", "themes")
FIGURES = ("take_up", "progressing", "completed")
DUE = (10, 31)
"""Month and day, in the calendar year after the reporting year ends, a return is due."""


def academic_year(day: date) -> int:
    return day.year if day.month >= 8 else day.year - 1


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def due_on(year: int) -> date:
    return date(year + 1, *DUE)


@dataclass(frozen=True)
class ReturnsImported:
    source: str
    provider: str
    added: int
    corrected: int
    already: int


def _year(text: str) -> int | None:
    found = re.fullmatch(r"(\d{4})(?:[-/](\d{2}|\d{4}))?", text.strip())
    if not found:
        return None
    first = int(found.group(1))
    if found.group(2) and int(found.group(2)) % 100 != (first + 1) % 100:
        return None
    return first


def _check(row: Row, registers: Registers, provider: Organisation, today: date):
    for column in ("credential", "year", *FIGURES):
        if not row.cells.get(column, ""):
            return None, f"{column} is empty"
    credential = find_credential(registers, row.cells["credential"])
    if credential is None:
        return None, f"unknown credential: {row.cells['credential']!r} is not endorsed"
    approvals = [a for a in registers.approvals_for(credential.id) if a.provider_id == provider.id]
    if not approvals:
        return None, f"unapproved provider: {provider.name} is not approved for {credential.title}"
    year = _year(row.cells["year"])
    if year is None:
        return None, f"year {row.cells['year']!r} is not a reporting year (2026 or 2026-27)"
    first = academic_year(min(a.approved_on for a in approvals))
    if not first <= year <= academic_year(today):
        return None, (
            f"year {year_label(year)} is outside the approval (reporting years "
            f"{year_label(first)} to {year_label(academic_year(today))})"
        )
    figures = {}
    for column in FIGURES:
        text = row.cells[column]
        if not text.isdigit():
            return None, f"{column} {text!r} is not a whole number"
        figures[column] = int(text)
    for column in ("progressing", "completed"):
        if figures[column] > figures["take_up"]:
            return None, f"{column} ({figures[column]}) exceeds take_up ({figures['take_up']})"
    return {
        "provider_id": provider.id,
        "credential_id": credential.id,
        "year": year,
        **figures,
        "themes": row.cells.get("themes", ""),
    }, ""


def import_annual_returns(
    session: Session,
    path: Path,
    provider_name: str,
    actor: str,
    *,
    received_on: date | None = None,
    today: date | None = None,
) -> ReturnsImported:
    """Import `provider_name`'s annual return file, all or nothing."""
    path = Path(path)
    source = str(path)
    on = today or date.today()
    provider = OrganisationIndex(session).find(provider_name)
    if provider is None:
        raise BadInput("--provider", f"no organisation is called {provider_name.strip()!r}")
    _, rows = read_csv(path, COLUMNS)
    registers = build_registers(session, on)
    existing = {
        (r.credential_id, r.year): r
        for r in session.scalars(
            select(AnnualReturn).where(AnnualReturn.provider_id == provider.id)
        )
    }
    refused: list[tuple[int, str]] = []
    new, corrections = [], []
    seen: dict[tuple[int, int], int] = {}
    already = count = 0
    for row in rows:
        count += 1
        values, why = _check(row, registers, provider, on)
        if values is None:
            refused.append((row.number, why))
            continue
        key = (values["credential_id"], values["year"])
        if key in seen:
            refused.append((row.number, f"repeats row {seen[key]} (one return a year)"))
            continue
        seen[key] = row.number
        before = existing.get(key)
        if before is None:
            new.append(values)
        elif all(getattr(before, k) == values[k] for k in (*FIGURES, "themes")):
            already += 1
        else:
            corrections.append({**values, "id": before.id})
    if not count:
        raise BadInput(source, "has no returns (only a header row)")
    refuse_rows(source, refused, count)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    stamp = {"received_on": received_on or on, "source": path.name, "source_sha256": digest}
    if new:
        session.execute(insert(AnnualReturn), [{**v, **stamp} for v in new])
    for values in corrections:
        session.execute(
            update(AnnualReturn)
            .where(AnnualReturn.id == values.pop("id"))
            .values(**values, **stamp)
        )
    if new or corrections:
        audit.record(
            session,
            actor,
            "annual_returns.imported",
            "organisation",
            provider.name,
            {"added": len(new), "corrected": len(corrections), "file": path.name, "sha256": digest},
        )
    return ReturnsImported(source, provider.name, len(new), len(corrections), already)


# --- what is due, and what was received ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnView:
    provider: str
    credential_id: int
    credential: str
    year: int
    take_up: int
    progressing: int
    completed: int
    themes: str
    received_on: date

    @property
    def year_label(self) -> str:
        return year_label(self.year)


@dataclass(frozen=True, slots=True)
class ReturnDue:
    provider: str
    credential: str
    credential_reference: str
    year: int
    due: date
    received_on: date | None
    state: str  # received, late, missing, not yet due

    @property
    def year_label(self) -> str:
        return year_label(self.year)


def returns(session: Session, credential_id: int | None = None) -> list[ReturnView]:
    query = (
        select(AnnualReturn, Organisation.name, Submission.title)
        .join(Organisation, Organisation.id == AnnualReturn.provider_id)
        .join(Submission, Submission.id == AnnualReturn.credential_id)
        .order_by(Submission.title, Organisation.name, AnnualReturn.year)
    )
    if credential_id is not None:
        query = query.where(AnnualReturn.credential_id == credential_id)
    return [
        ReturnView(
            provider,
            r.credential_id,
            title,
            r.year,
            r.take_up,
            r.progressing,
            r.completed,
            r.themes,
            r.received_on,
        )
        for r, provider, title in session.execute(query)
    ]


def return_status(session: Session, as_of: date | None = None) -> list[ReturnDue]:
    """Every return each approval on the register owes, and where it stands on `as_of`."""
    on = as_of or date.today()
    registers = build_registers(session, on)
    received = {
        (r.provider_id, r.credential_id, r.year): r.received_on
        for r in session.scalars(select(AnnualReturn))
    }
    found = []
    for a in registers.approvals:
        last = academic_year(min(on, a.ended_on or on, max(due for _, due in a.periods)))
        for year in range(academic_year(a.approved_on), last + 1):
            got = received.get((a.provider_id, a.credential_id, year))
            due = due_on(year)
            if got is not None:
                state = "late" if got > due else "received"
            else:
                state = "missing" if on > due else "not yet due"
            found.append(
                ReturnDue(
                    a.provider, a.credential_title, a.credential_reference, year, due, got, state
                )
            )
    return sorted(found, key=lambda r: (r.credential.casefold(), r.provider.casefold(), r.year))


def returns_for_submission(session: Session, submission_id: int) -> list[ReturnView]:
    """The annual returns a periodic review of a credential opens with: the credential's,
    only the provider's own where the review is of an approved provider's delivery."""
    parent = lineage.parent_of(session, submission_id)
    submission = session.get(Submission, submission_id)
    if parent is None or submission is None:
        return []
    found = returns(session, parent)
    own = [r for r in found if r.provider == _name(session, submission.lead_organisation_id)]
    return own or found


def _name(session: Session, organisation_id: int) -> str:
    return session.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""
