"""Importing submissions.csv into a round, with the documents it names.

The whole file is checked first (columns, refs, e-mails, dates, documents on disk) and only
then written, in the caller's single transaction, so a bad row changes nothing. A row equal
to what the round already holds is left alone (imports are idempotent); a changed row is an
update, and a resubmission when the submission had its gaps returned at screening.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit, document_store
from panel_desk.services.csv_input import Row, read_csv
from panel_desk.services.organisations import OrganisationIndex
from panel_desk.services.roster import ImportResult
from panel_desk.services.rounds import REF_PATTERN, round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.blobs import BlobStore
from panel_desk.store.database import blobs_of
from panel_desk.store.models import (
    Assignment,
    Document,
    NamedPerson,
    Round,
    ScreeningState,
    Submission,
    SubmissionPartner,
    TemplateField,
)

SUBMISSION_COLUMNS = (
    "ref",
    "title",
    "lead_organisation",
    "partner_organisations",
    "named_people",
    "area",
    "documents",
)
OPTIONAL_COLUMNS = ("received_on",)


def area_key(text: str) -> str:
    """The credential area as used in expertise tags (`area:first-contact-msk`)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class DocumentFile:
    name: str
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class SubmissionEntry:
    """One validated row of submissions.csv."""

    row: int
    ref: str
    title: str
    lead: str
    partners: tuple[str, ...]
    named_people: tuple[str, ...]
    area: str
    documents: tuple[DocumentFile, ...]
    fields: tuple[tuple[str, str], ...]
    received_on: date | None

    def digest(self) -> str:
        content = {
            "title": self.title,
            "lead": self.lead,
            "partners": sorted(self.partners),
            "named_people": sorted(self.named_people),
            "area": self.area,
            "documents": sorted((d.name, d.sha256) for d in self.documents),
            "fields": sorted(self.fields),
        }
        return hashlib.sha256(audit.canonical_json(content).encode()).hexdigest()


def _document(row: Row, name: str, folder: Path | None) -> DocumentFile:
    if folder is None:
        raise row.error("documents", f"names {name!r} but no --documents folder was given")
    if name in (".", "..") or "/" in name or "\\" in name:
        raise row.error("documents", f"{name!r} is not a plain file name")
    path = folder / name
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise row.error("documents", f"unknown document {name!r}: it is not in {folder}") from None
    if not resolved.is_relative_to(folder.resolve()) or not resolved.is_file():
        raise row.error("documents", f"{name!r} in {folder} is not a regular file")
    try:
        sha = BlobStore.file_digest(resolved)
    except OSError as exc:
        raise row.error("documents", f"{name!r} cannot be read: {exc.strerror}") from None
    size = resolved.stat().st_size
    if too_big := document_store.size_problem(size):
        raise row.error("documents", f"{name!r} {too_big}")
    return DocumentFile(name, resolved, sha, size)


def parse_submission_row(
    row: Row, field_columns: Sequence[str], documents_dir: Path | None
) -> SubmissionEntry:
    ref = row.text("ref")
    if not REF_PATTERN.match(ref):
        raise row.error("ref", f"{ref!r} is not a reference (letters, digits, . _ -)")
    named = tuple(dict.fromkeys(row.email("named_people", e) for e in row.items("named_people")))
    received = row.cells.get("received_on", "")
    return SubmissionEntry(
        row=row.number,
        ref=ref,
        title=row.text("title"),
        lead=row.text("lead_organisation"),
        partners=tuple(dict.fromkeys(row.items("partner_organisations"))),
        named_people=named,
        area=area_key(row.text("area", required=False)),
        documents=tuple(
            _document(row, name, documents_dir) for name in dict.fromkeys(row.items("documents"))
        ),
        fields=tuple((c, row.cells.get(c, "")) for c in field_columns),
        received_on=row.date("received_on", received) if received else None,
    )


def read_submissions(path: Path, documents_dir: Path | None) -> list[SubmissionEntry]:
    """Every row of submissions.csv, validated; BadInput at the first bad row."""
    if documents_dir is not None and not documents_dir.is_dir():
        raise BadInput(str(documents_dir), "is not a folder (--documents)")
    header, rows = read_csv(path, SUBMISSION_COLUMNS)
    field_columns = [c for c in header if c not in SUBMISSION_COLUMNS + OPTIONAL_COLUMNS]
    entries: list[SubmissionEntry] = []
    seen: dict[str, int] = {}
    for row in rows:
        entry = parse_submission_row(row, field_columns, documents_dir)
        if entry.ref in seen:
            raise row.error("ref", f"duplicate ref {entry.ref} (also on row {seen[entry.ref]})")
        seen[entry.ref] = row.number
        entries.append(entry)
    if not entries:
        raise BadInput(str(path), "has a header but no submissions")
    return entries


def _received_at(entry: SubmissionEntry) -> datetime:
    if entry.received_on is None:
        return utcnow()
    return datetime.combine(entry.received_on, datetime.min.time(), tzinfo=UTC)


def _child_rows(
    submission_id: int, entry: SubmissionEntry, orgs: OrganisationIndex, blobs: BlobStore
) -> dict[type, list[dict[str, Any]]]:
    return {
        SubmissionPartner: [
            {"submission_id": submission_id, "organisation_id": orgs.get_or_create(p).id}
            for p in dict.fromkeys(entry.partners)
            if orgs.get_or_create(p).id != orgs.get_or_create(entry.lead).id
        ],
        NamedPerson: [{"submission_id": submission_id, "email": e} for e in entry.named_people],
        TemplateField: [
            {"submission_id": submission_id, "key": key, "position": i, "value": value}
            for i, (key, value) in enumerate(entry.fields)
        ],
        Document: [
            {
                "submission_id": submission_id,
                "name": d.name,
                "sha256": d.sha256,
                "size": d.size,
                "media_type": mimetypes.guess_type(d.name)[0] or "application/octet-stream",
                "blob_path": blobs.put_file(d.path, d.sha256),
            }
            for d in entry.documents
        ],
    }


def apply_submissions(
    session: Session,
    round_: Round,
    entries: Sequence[SubmissionEntry],
    actor: str,
    source: str,
) -> ImportResult:
    """Write validated entries into `round_`; the caller's transaction makes it all or nothing."""
    existing = {
        s.ref: s
        for s in session.scalars(select(Submission).where(Submission.round_id == round_.id))
    }
    assigned = set(
        session.scalars(
            select(Assignment.submission_id).where(Assignment.round_id == round_.id).distinct()
        )
    )
    orgs = OrganisationIndex(session)
    new: list[SubmissionEntry] = []
    changed: list[tuple[Submission, SubmissionEntry]] = []
    for entry in entries:
        current = existing.get(entry.ref)
        if current is None:
            new.append(entry)
        elif current.content_digest != entry.digest():
            if current.id in assigned:
                raise BadInput(
                    source,
                    f"{entry.ref} already has reviewers assigned; it cannot be changed by import",
                    f"row {entry.row}, column ref",
                )
            changed.append((current, entry))
    if not new and not changed:
        return ImportResult(0, 0, len(entries))

    for entry in new + [e for _, e in changed]:
        orgs.get_or_create(entry.lead)
        for partner in entry.partners:
            orgs.get_or_create(partner)
    session.flush()
    blobs = blobs_of(session)
    children: dict[type, list[dict[str, Any]]] = {
        SubmissionPartner: [],
        NamedPerson: [],
        TemplateField: [],
        Document: [],
    }
    changes: list[audit.Change] = []

    if new:
        ids = session.scalars(
            insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
            [
                {
                    "round_id": round_.id,
                    "ref": e.ref,
                    "title": e.title,
                    "lead_organisation_id": orgs.get_or_create(e.lead).id,
                    "area": e.area,
                    "screening_state": ScreeningState.NOT_SCREENED.value,
                    "content_digest": e.digest(),
                    "received_at": _received_at(e),
                    "updated_at": utcnow(),
                }
                for e in new
            ],
        ).all()
        for submission_id, entry in zip(ids, new, strict=True):
            for model, rows in _child_rows(submission_id, entry, orgs, blobs).items():
                children[model].extend(rows)
            changes.append(
                audit.Change(
                    actor,
                    "submission.received",
                    "submission",
                    f"{round_.ref}/{entry.ref}",
                    {"digest": entry.digest(), "documents": [d.sha256 for d in entry.documents]},
                )
            )

    for submission, entry in changed:
        resubmitted = submission.screening_state == ScreeningState.GAPS_RETURNED
        state = ScreeningState.RESUBMITTED if resubmitted else ScreeningState.NOT_SCREENED
        for model in children:
            session.execute(delete(model).where(model.submission_id == submission.id))
        session.execute(
            update(Submission)
            .where(Submission.id == submission.id)
            .values(
                title=entry.title,
                lead_organisation_id=orgs.get_or_create(entry.lead).id,
                area=entry.area,
                screening_state=state.value,
                content_digest=entry.digest(),
                updated_at=utcnow(),
            )
        )
        for model, rows in _child_rows(submission.id, entry, orgs, blobs).items():
            children[model].extend(rows)
        changes.append(
            audit.Change(
                actor,
                "submission.resubmitted" if resubmitted else "submission.updated",
                "submission",
                f"{round_.ref}/{entry.ref}",
                {"digest": entry.digest(), "screening_state": state.value},
            )
        )

    for model, rows in children.items():
        if rows:
            session.execute(insert(model), rows)
    document_store.store_files(  # in the database: every user of a hub reads them
        session,
        ((d.sha256, d.path) for e in new + [e for _, e in changed] for d in e.documents),
    )
    changes.append(
        audit.Change(
            actor,
            "submissions.imported",
            "round",
            round_.ref,
            {"file": Path(source).name, "added": len(new), "updated": len(changed)},
        )
    )
    audit.record_many(session, changes)
    session.expire_all()
    return ImportResult(len(new), len(changed), len(entries) - len(new) - len(changed))


def import_submissions(
    session: Session,
    path: Path,
    round_ref: str,
    documents_dir: Path | None = None,
    actor: str = audit.SYSTEM,
) -> ImportResult:
    round_ = round_by_ref(session, round_ref)
    entries = read_submissions(path, documents_dir)
    return apply_submissions(session, round_, entries, actor, str(path))
