"""What the submissions table and detail pane show, read in a few queries per round.

The table's rows are submission_listing.py's (a fixed number of queries whatever the size
of the round, never a query per row); this module adds the detail pane. What a person
sees depends on who they act as: a peer reviewer sees only the submissions assigned to
them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.errors import NotFound
from panel_desk.services import audit_views, document_store
from panel_desk.services.conflicts import FlagView, blocked_for, flags_of_submission
from panel_desk.services.rounds import criteria_of
from panel_desk.services.submission_listing import (
    SubmissionCounts,
    SubmissionRow,
    Viewer,
    list_submissions,
    submission_counts,
)
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    Document,
    NamedPerson,
    Organisation,
    Person,
    Role,
    Round,
    ScreeningCheck,
    ScreeningState,
    Stage,
    Submission,
    SubmissionPartner,
    TemplateField,
)

__all__ = [  # the table's rows (submission_listing.py), re-exported for the views' callers
    "SubmissionCounts",
    "SubmissionDetail",
    "SubmissionRow",
    "Viewer",
    "copy_document_for_viewing",
    "list_submissions",
    "submission_counts",
    "submission_detail",
]


@dataclass(frozen=True)
class FieldView:
    key: str
    label: str
    value: str
    required: bool


@dataclass(frozen=True)
class DocumentView:
    id: int
    name: str
    size: int
    sha256: str
    media_type: str


@dataclass(frozen=True)
class CheckView:
    kind: str
    label: str
    present: bool
    satisfied_by: str
    note: str


@dataclass(frozen=True)
class HistoryItem:
    """One audit event about the submission, as its History section lists it."""

    seq: int
    at: datetime
    actor: str
    action: str


@dataclass(frozen=True)
class SubmissionDetail:
    id: int
    ref: str
    title: str
    round_ref: str
    stage_label: str
    lead: str
    partners: tuple[str, ...]
    area: str
    named_people: tuple[tuple[str, str], ...]  # (e-mail, name on the roster or "")
    received_at: datetime
    screening_state: str
    fields: tuple[FieldView, ...]
    documents: tuple[DocumentView, ...]
    checks: tuple[CheckView, ...]
    reviewers: int
    history: tuple[HistoryItem, ...] = ()  # empty for a reviewer: the trail is not blinded
    conflicts: tuple[FlagView, ...] = ()  # the secretariat's view only

    @property
    def gaps(self) -> list[CheckView]:
        return [c for c in self.checks if not c.present]

    @property
    def screening_label(self) -> str:
        return ScreeningState(self.screening_state).label


def _visible_submission(session: Session, submission_id: int, viewer: Viewer | None) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is not None and viewer is not None and viewer.role == Role.REVIEWER:
        assigned = session.scalar(
            select(Assignment.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(
                Assignment.submission_id == submission_id,
                Assignment.state == AssignmentState.ACTIVE,
                Person.email == viewer.email,
            )
        )
        blocked = session.scalar(
            blocked_for(viewer.email).where(ConflictFlag.submission_id == submission_id)
        )
        if assigned is None or blocked is not None:
            submission = None
    if submission is None:
        raise NotFound("submission", f"no submission {submission_id} that you may see")
    return submission


def submission_detail(
    session: Session, submission_id: int, viewer: Viewer | None = None
) -> SubmissionDetail:
    submission = _visible_submission(session, submission_id, viewer)
    round_ = session.get_one(Round, submission.round_id)
    spec = criteria_of(session, round_)
    required = {r.key: r.label for r in spec.fields}
    lead = session.get_one(Organisation, submission.lead_organisation_id)
    partners = session.scalars(
        select(Organisation.name)
        .join(SubmissionPartner, SubmissionPartner.organisation_id == Organisation.id)
        .where(SubmissionPartner.submission_id == submission_id)
        .order_by(Organisation.name)
    ).all()
    named = session.execute(
        select(NamedPerson.email, func.coalesce(Person.name, ""))
        .outerjoin(Person, Person.email == NamedPerson.email)
        .where(NamedPerson.submission_id == submission_id)
        .order_by(NamedPerson.email)
    ).all()
    fields = session.scalars(
        select(TemplateField)
        .where(TemplateField.submission_id == submission_id)
        .order_by(TemplateField.position)
    ).all()
    present_keys = {f.key for f in fields}
    field_views = [
        FieldView(
            f.key,
            required.get(f.key, f.key.replace("_", " ").capitalize()),
            f.value,
            f.key in required,
        )
        for f in fields
    ] + [
        FieldView(key, label, "", True)
        for key, label in required.items()
        if key not in present_keys
    ]
    documents = session.scalars(
        select(Document).where(Document.submission_id == submission_id).order_by(Document.name)
    ).all()
    checks = session.scalars(
        select(ScreeningCheck)
        .where(ScreeningCheck.submission_id == submission_id)
        .order_by(ScreeningCheck.id)
    ).all()
    reviewers = session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(
            Assignment.submission_id == submission_id, Assignment.state == AssignmentState.ACTIVE
        )
    )
    return SubmissionDetail(
        id=submission.id,
        ref=submission.ref,
        title=submission.title,
        round_ref=round_.ref,
        stage_label=Stage(round_.stage).label,
        lead=lead.name,
        partners=tuple(partners),
        area=submission.area,
        named_people=tuple((email, name) for email, name in named),
        received_at=submission.received_at,
        screening_state=submission.screening_state,
        fields=tuple(field_views),
        documents=tuple(
            DocumentView(d.id, d.name, d.size, d.sha256, d.media_type) for d in documents
        ),
        checks=tuple(
            CheckView(c.item_kind, c.label, c.present, c.satisfied_by, c.gap_note) for c in checks
        ),
        reviewers=reviewers or 0,
        history=_history(session, round_.ref, submission.ref, viewer),
        conflicts=tuple(flags_of_submission(session, submission.id))
        if viewer is None or viewer.role == Role.SECRETARIAT
        else (),
    )


def _history(
    session: Session, round_ref: str, ref: str, viewer: Viewer | None
) -> tuple[HistoryItem, ...]:
    if viewer is not None and viewer.role == Role.REVIEWER:
        return ()  # it names other reviewers and conflicts: blinding comes first
    return tuple(
        HistoryItem(e.seq, e.at, e.actor, e.action)
        for e in audit_views.submission_history(session, round_ref, ref)
    )


def copy_document_for_viewing(
    session: Session, document_id: int, viewer: Viewer | None = None
) -> Path:
    """A copy of a document under its own name in a private temporary folder, for a viewer
    application to open (the store keeps files by hash, without names)."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("document", f"no document {document_id}")
    _visible_submission(session, document.submission_id, viewer)
    content = document_store.read_one(
        session, document_store.Stored(document.name, document.sha256, document.blob_path)
    )
    folder = Path(tempfile.mkdtemp(prefix="panel-desk-doc-"))
    target = folder / document.name
    target.write_bytes(content)
    return target
