"""Reading the audit trail: the audit view's query, a submission's history, and extracts.

The view filters by what events concern (audit_concern: submissions, people, rounds), so
an event about an assignment shows under both the submission and the reviewer. An
*extract* is what an appeal needs: every event about one submission with the fields that
make its hash, so anyone can recompute each event's hash from the extract alone
(`check_extract`) and compare those hashes with the hub's trail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.progress import Progress, no_progress
from panel_desk.store.base import utcnow
from panel_desk.store.models import AuditConcern, AuditEvent, Round, Submission

EXTRACT_FORMAT = "panel_desk-audit-extract"
EXTRACT_VERSION = 1
DEFAULT_LIMIT = 10_000
"""The audit view shows the newest events first, this many at most: filter to narrow."""


@dataclass(frozen=True, slots=True)
class EventView:
    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_ref: str
    payload: str
    hash: str

    @property
    def subject(self) -> str:
        return f"{self.subject_type} {self.subject_ref}"

    def payload_data(self) -> Any:
        try:
            return json.loads(self.payload)
        except ValueError:
            return self.payload


@dataclass(frozen=True)
class EventPage:
    events: tuple[EventView, ...]
    total: int  # how many match, of which `events` holds the newest `limit`


def _view(row: Any) -> EventView:
    return EventView(
        row.seq,
        row.at,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_ref,
        row.payload,
        row.hash,
    )


_VIEW_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.subject_type,
    AuditEvent.subject_ref,
    AuditEvent.payload,
    AuditEvent.hash,
)


def _concerning(kind: str, ref: str):
    return select(AuditConcern.event_seq).where(AuditConcern.kind == kind, AuditConcern.ref == ref)


def list_events(
    session: Session,
    *,
    round_ref: str | None = None,
    submission: str | None = None,
    person: str | None = None,
    text: str = "",
    limit: int = DEFAULT_LIMIT,
) -> EventPage:
    """Events newest first: those concerning the round, the submission ("ROUND/REF") and
    the person (by e-mail) given, whose action, subject or actor contains `text`."""
    conditions = []
    if round_ref:
        conditions.append(AuditEvent.seq.in_(_concerning("round", round_ref)))
    if submission:
        conditions.append(AuditEvent.seq.in_(_concerning("submission", submission)))
    if person:
        conditions.append(AuditEvent.seq.in_(_concerning("person", person.strip().lower())))
    for word in text.split():
        pattern = f"%{word}%"
        conditions.append(
            or_(
                AuditEvent.action.ilike(pattern),
                AuditEvent.subject_ref.ilike(pattern),
                AuditEvent.actor.ilike(pattern),
            )
        )
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    rows = session.execute(
        select(*_VIEW_COLUMNS).where(*conditions).order_by(AuditEvent.seq.desc()).limit(limit)
    )
    return EventPage(tuple(_view(r) for r in rows), total)


def people_in_trail(session: Session, round_ref: str | None = None) -> list[str]:
    """Every person (e-mail) some event concerns, for the audit view's person filter."""
    query = select(AuditConcern.ref).where(AuditConcern.kind == "person").distinct()
    if round_ref:
        query = query.where(AuditConcern.event_seq.in_(_concerning("round", round_ref)))
    return sorted(session.scalars(query))


def submission_refs(session: Session, round_ref: str) -> list[str]:
    """The refs of a round's submissions, for the audit view's submission filter."""
    return list(
        session.scalars(
            select(Submission.ref)
            .join(Round, Round.id == Submission.round_id)
            .where(Round.ref == round_ref)
            .order_by(Submission.ref)
        )
    )


def submission_history(session: Session, round_ref: str, submission_ref: str) -> list[EventView]:
    """Every event about one submission, oldest first."""
    rows = session.execute(
        select(*_VIEW_COLUMNS)
        .where(AuditEvent.seq.in_(_concerning("submission", f"{round_ref}/{submission_ref}")))
        .order_by(AuditEvent.seq)
    )
    return [_view(r) for r in rows]


# --- extracts for appeals ----------------------------------------------------------------


def submission_extract(
    session: Session, round_ref: str, submission_ref: str, progress: Progress = no_progress
) -> dict[str, Any]:
    """A self-checking record of one submission's events, with the chain's state when made."""
    key = f"{round_ref}/{submission_ref}"
    rows = session.execute(
        select(
            AuditEvent.seq,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.subject_type,
            AuditEvent.subject_ref,
            AuditEvent.payload,
            AuditEvent.payload_digest,
            AuditEvent.prev_hash,
            AuditEvent.hash,
        )
        .where(AuditEvent.seq.in_(_concerning("submission", key)))
        .order_by(AuditEvent.seq)
    ).all()
    if not rows:
        raise BadInput("--submission", f"the audit trail holds nothing about {key}")
    report = audit.verify_chain(session, progress)
    return {
        "format": EXTRACT_FORMAT,
        "version": EXTRACT_VERSION,
        "submission": key,
        "made_at": utcnow().isoformat(),
        "chain": {
            "events": report.events,
            "head": report.head_hash,
            "intact": report.intact,
            "broken_at": report.broken_at,
            "problem": report.problem,
            "seal": report.seal,
        },
        "events": [
            {
                "seq": r.seq,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "action": r.action,
                "subject_type": r.subject_type,
                "subject_ref": r.subject_ref,
                "payload": json.loads(r.payload),
                "payload_digest": r.payload_digest,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            }
            for r in rows
        ],
    }


def check_extract(extract: Any, source: str = "extract") -> list[str]:
    """Recompute every event's hash from the extract; the problems found (none: it holds).

    Each hash covers the event's fields and the hash of the event before it in the full
    trail, so a holding extract proves these are exactly the events the trail had with
    these hashes; comparing a hash with the hub's `audit verify` head ties it to the trail.
    """
    if not isinstance(extract, dict) or extract.get("format") != EXTRACT_FORMAT:
        raise BadInput(source, "is not a panel_desk audit extract")
    if extract.get("version") != EXTRACT_VERSION:
        raise BadInput(source, f"is an extract of version {extract.get('version')!r}")
    problems: list[str] = []
    for item in extract.get("events", []):
        try:
            payload = audit.canonical_json(item["payload"])
            digest = audit._digest(payload)
            expected = audit.event_hash(
                int(item["seq"]),
                datetime.fromisoformat(item["at"]),
                item["actor"],
                item["action"],
                item["subject_type"],
                item["subject_ref"],
                digest,
                item["prev_hash"],
            )
        except (KeyError, TypeError, ValueError):
            problems.append(f"an event of the extract is incomplete: {str(item)[:80]}")
            continue
        if digest != item["payload_digest"]:
            problems.append(f"event {item['seq']}: its payload was changed")
        elif expected != item["hash"]:
            problems.append(f"event {item['seq']}: its fields were changed")
    return problems
