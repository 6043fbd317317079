"""Annotations: practitioners' completions of endorsed credentials with approved providers.

"Annotation denotes that a practitioner on the Centre directory has successfully completed
an endorsed credential delivered by an approved provider." A completion counts only where
the provider was approved for that credential on the completion date (registers.py, from
signed-off decisions); "practitioners who complete [a credential with an unapproved
provider] cannot have this recorded on their directory entry".

`import_completions` reads `practitioner_id,name,credential,provider,completion_date` and
is all or nothing: every row is checked first and each one refused is reported with its
reason (unknown credential, unapproved provider, date outside approval, …); if any is
refused, nothing of the file is imported. A row already annotated exactly so is kept as
it is, so importing the same file again changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.csv_input import Row, read_csv
from panel_desk.services.lineage import references
from panel_desk.services.organisations import OrganisationIndex
from panel_desk.services.registers import CredentialEntry, Registers, build_registers
from panel_desk.store.models import Annotation, Organisation, Submission

COLUMNS = ("practitioner_id", "name", "credential", "provider", "completion_date")
UNKNOWN_CREDENTIAL = "unknown credential"
UNAPPROVED_PROVIDER = "unapproved provider"
OUTSIDE_APPROVAL = "date outside approval"


@dataclass
class RowsRefused(BadInput):
    """Rows of an import file that cannot be taken; nothing of the file was imported."""

    rows: tuple[tuple[int, str], ...] = ()  # (spreadsheet row number, reason)


def refuse_rows(source: str, refused: list[tuple[int, str]], count: int) -> None:
    """Raise RowsRefused naming every refused row, if any: one file, all or nothing."""
    if refused:
        shown = "; ".join(f"row {n}: {why}" for n, why in refused)
        raise RowsRefused(
            source,
            f"{len(refused)} of {count} row(s) refused, nothing imported — {shown}",
            rows=tuple(refused),
        )


@dataclass(frozen=True)
class CompletionsImported:
    source: str
    added: int
    already: int  # rows annotated exactly so before


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def find_credential(registers: Registers, name: str) -> CredentialEntry | None:
    """A credential by its register reference (ROUND/REF) or its exact title."""
    wanted = _norm(name)
    found = [c for c in registers.credentials if _norm(c.reference) == wanted]
    found = found or [c for c in registers.credentials if _norm(c.title) == wanted]
    in_force = [c for c in found if c.in_force(registers.as_of)]
    found = in_force or found
    return found[0] if len(found) == 1 else None


def _check(row: Row, registers: Registers, providers: OrganisationIndex, today: date):
    """(values for an Annotation, "") or (None, why the row is refused)."""
    for column in COLUMNS:
        if not row.cells.get(column, ""):
            return None, f"{column} is empty"
    try:
        completed = row.date("completion_date", row.cells["completion_date"])
    except BadInput as exc:
        return None, exc.problem
    if completed > today:
        return None, f"completion date {completed} is in the future"
    credential = find_credential(registers, row.cells["credential"])
    if credential is None:
        return (
            None,
            f"{UNKNOWN_CREDENTIAL}: {row.cells['credential']!r} is not an endorsed credential",
        )
    provider = providers.find(row.cells["provider"])
    approvals = [
        a
        for a in registers.approvals_for(credential.id)
        if provider is not None and a.provider_id == provider.id
    ]
    if not approvals:
        return None, (
            f"{UNAPPROVED_PROVIDER}: {row.cells['provider']!r} is not approved to deliver "
            f"{credential.title}"
        )
    if not any(a.in_force(completed) for a in approvals):
        spans = "; ".join(a.span() for a in approvals)
        return None, (
            f"{OUTSIDE_APPROVAL}: completed {completed:%-d %b %Y}, but {provider.name} "
            f"was approved for {credential.title} {spans}"
        )
    return {
        "practitioner_id": row.cells["practitioner_id"],
        "practitioner_name": row.cells["name"],
        "credential_id": credential.id,
        "provider_id": provider.id,
        "completed_on": completed,
    }, ""


def import_completions(
    session: Session, path: Path, actor: str, *, today: date | None = None
) -> CompletionsImported:
    """Annotate every completion in `path`, or none (RowsRefused naming each bad row)."""
    path = Path(path)
    source = str(path)
    _, rows = read_csv(path, COLUMNS)
    on = today or date.today()
    registers = build_registers(session, on)
    providers = OrganisationIndex(session)
    existing = {
        (pid, cid): (prov, done)
        for pid, cid, prov, done in session.execute(
            select(
                Annotation.practitioner_id,
                Annotation.credential_id,
                Annotation.provider_id,
                Annotation.completed_on,
            )
        )
    }
    refused: list[tuple[int, str]] = []
    new: list[dict[str, object]] = []
    seen: dict[tuple[str, int], int] = {}
    already = 0
    count = 0
    for row in rows:
        count += 1
        values, why = _check(row, registers, providers, on)
        if values is None:
            refused.append((row.number, why))
            continue
        key = (str(values["practitioner_id"]), int(values["credential_id"]))  # type: ignore[arg-type]
        if key in seen:
            refused.append((row.number, f"repeats row {seen[key]} (one completion each)"))
            continue
        seen[key] = row.number
        before = existing.get(key)
        if before == (values["provider_id"], values["completed_on"]):
            already += 1
        elif before is not None:
            refused.append(
                (row.number, f"{key[0]} is already annotated with this credential, otherwise")
            )
        else:
            new.append(values)
    if not count:
        raise BadInput(source, "has no completions (only a header row)")
    refuse_rows(source, refused, count)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if new:
        session.execute(
            insert(Annotation), [{**v, "source": path.name, "source_sha256": digest} for v in new]
        )
        audit.record(
            session,
            actor,
            "completions.imported",
            "completions",
            path.name,
            {"added": len(new), "already": already, "sha256": digest},
        )
    return CompletionsImported(source, len(new), already)


# --- practitioner lookup ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnnotationView:
    practitioner_id: str
    name: str
    credential_id: int
    credential: str
    credential_reference: str
    provider: str
    completed_on: date


def annotations(
    session: Session, practitioner: str | None = None, credential_id: int | None = None
) -> list[AnnotationView]:
    """Annotations of a practitioner (by id, or a part of their name), or of a credential."""
    query = (
        select(Annotation, Submission.title, Organisation.name)
        .join(Submission, Submission.id == Annotation.credential_id)
        .join(Organisation, Organisation.id == Annotation.provider_id)
        .order_by(Annotation.practitioner_id, Annotation.completed_on)
    )
    if practitioner is not None:
        wanted = practitioner.strip()
        query = query.where(
            (Annotation.practitioner_id == wanted)
            | Annotation.practitioner_name.ilike(f"%{wanted}%")
        )
    if credential_id is not None:
        query = query.where(Annotation.credential_id == credential_id)
    rows = session.execute(query).all()
    refs = {
        sid: f"{r}/{ref}"
        for sid, r, ref in references(session, list({a.credential_id for a, _, _ in rows}))
    }
    return [
        AnnotationView(
            a.practitioner_id,
            a.practitioner_name,
            a.credential_id,
            title,
            refs.get(a.credential_id, ""),
            provider,
            a.completed_on,
        )
        for a, title, provider in rows
    ]


def practitioner_lookup(session: Session, practitioner: str) -> list[AnnotationView]:
    """`practitioner show`: what the directory records of them; BadInput when nothing."""
    if not practitioner.strip():
        raise BadInput("practitioner", "give a practitioner id or a part of their name")
    found = annotations(session, practitioner=practitioner)
    if not found:
        raise BadInput("practitioner", f"no annotated completion for {practitioner.strip()!r}")
    return found
