"""What the hub writes into a packet about the round and each assigned submission: its
fields, organisations, named people, screening checks, documents (stored once by hash),
the hub's decisions on soft conflicts between THIS reviewer and it, and, in a periodic
review, the annual returns it opens with (packet_returns.py). Grouped queries
over the reviewer's submissions only; nothing about anyone else is read into it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.services import document_store
from panel_desk.services.document_store import Stored
from panel_desk.services.exchange import packet_returns
from panel_desk.services.exchange.packet_content import CARRIED_DECISIONS
from panel_desk.services.progress import Progress
from panel_desk.store.models import (
    ConflictFlag,
    Document,
    NamedPerson,
    Organisation,
    Person,
    Round,
    ScreeningCheck,
    Submission,
    SubmissionPartner,
    TemplateField,
)


def round_entry(round_: Round) -> dict[str, Any]:
    return {
        "ref": round_.ref,
        "stage": round_.stage,
        "title": round_.title,
        "state": round_.state,
        "opens_on": round_.opens_on.isoformat(),
        "review_deadline": round_.review_deadline.isoformat() if round_.review_deadline else None,
        "moderation_deadline": round_.moderation_deadline.isoformat()
        if round_.moderation_deadline
        else None,
        "lookback_years": round_.lookback_years,
        "shared_mail_domains": list(round_.shared_mail_domains or []),
    }


def submission_entries(
    session: Session,
    round_: Round,
    person: Person,
    submissions: list[Submission],
    progress: Progress,
) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    ids = [s.id for s in submissions]
    names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    partners: dict[int, list[str]] = {i: [] for i in ids}
    for sid, org in session.execute(
        select(SubmissionPartner.submission_id, SubmissionPartner.organisation_id).where(
            SubmissionPartner.submission_id.in_(ids)
        )
    ):
        partners[sid].append(names[org])
    named: dict[int, list[str]] = {i: [] for i in ids}
    for sid, email in session.execute(
        select(NamedPerson.submission_id, NamedPerson.email).where(
            NamedPerson.submission_id.in_(ids)
        )
    ):
        named[sid].append(email)
    fields: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for f in session.scalars(
        select(TemplateField)
        .where(TemplateField.submission_id.in_(ids))
        .order_by(TemplateField.position)
    ):
        fields[f.submission_id].append({"key": f.key, "position": f.position, "value": f.value})
    decisions: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for flag in session.scalars(
        select(ConflictFlag).where(
            ConflictFlag.person_id == person.id,
            ConflictFlag.submission_id.in_(ids),
            ConflictFlag.status.in_(CARRIED_DECISIONS),
        )
    ):
        decisions[flag.submission_id].append(
            {
                "rule": flag.rule,
                "severity": flag.severity,
                "evidence": flag.evidence,
                "status": flag.status,
                "rationale": flag.rationale,
            }
        )
    checks: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for c in session.scalars(
        select(ScreeningCheck)
        .where(ScreeningCheck.submission_id.in_(ids))
        .order_by(ScreeningCheck.id)
    ):
        checks[c.submission_id].append(
            {
                "item_kind": c.item_kind,
                "item_key": c.item_key,
                "label": c.label,
                "present": c.present,
                "gap_note": c.gap_note,
                "satisfied_by": c.satisfied_by,
                "checked_at": c.checked_at.isoformat(),
            }
        )
    documents: dict[int, list[Document]] = {i: [] for i in ids}
    for d in session.scalars(
        select(Document).where(Document.submission_id.in_(ids)).order_by(Document.name)
    ):
        documents[d.submission_id].append(d)
    contents = document_store.read_contents(  # adopt: a writing transaction
        session,
        (Stored(d.name, d.sha256, d.blob_path) for docs in documents.values() for d in docs),
        adopt=True,
    )
    attached = packet_returns.returns_to_attach(session, round_, submissions)
    entries = []
    for done, s in enumerate(submissions):
        progress(done, len(submissions), f"Packing {s.ref}")
        entries.append(
            {
                "ref": s.ref,
                "title": s.title,
                "lead": names[s.lead_organisation_id],
                "partners": sorted(partners[s.id]),
                "area": s.area,
                "screening_state": s.screening_state,
                "content_digest": s.content_digest,
                "received_at": s.received_at.isoformat(),
                "named_people": sorted(named[s.id]),
                "fields": fields[s.id],
                "documents": [
                    {"name": d.name, "sha256": d.sha256, "size": d.size, "media_type": d.media_type}
                    for d in documents[s.id]
                ],
                "conflict_decisions": decisions[s.id],
                "screening_checks": checks[s.id],
                packet_returns.KEY: [packet_returns.as_json(v) for v in attached.get(s.id, [])],
            }
        )
    return entries, contents
