"""The audit trail: every state change appends an event chained by hash to the one before.

`record` is called inside the transaction that makes the change, so the event and the
change land together or not at all. `verify_chain` recomputes every hash and reports the
first event that does not follow from its predecessor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from panel_desk.store.base import utcnow
from panel_desk.store.models import AuditEvent

GENESIS = "0" * 64
SYSTEM = "system"
"""The actor of changes nobody in particular made (e.g. the demo generator)."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_ref: str,
    payload_digest: str,
    prev_hash: str,
) -> str:
    fields = [seq, at.isoformat(), actor, action, subject_type, subject_ref, payload_digest]
    return _digest(canonical_json([*fields, prev_hash]))


@dataclass(frozen=True)
class Change:
    """One state change to record: who did what to which subject, with what data."""

    actor: str
    action: str
    subject_type: str
    subject_ref: str
    payload: Mapping[str, Any]


def _chain_head(session: Session) -> tuple[int, str]:
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def record_many(session: Session, changes: Iterable[Change]) -> int:
    """Append events for `changes` in order; returns how many were written."""
    seq, prev_hash = _chain_head(session)
    rows: list[dict[str, Any]] = []
    for change in changes:
        seq += 1
        at = utcnow()
        payload = canonical_json(dict(change.payload))
        payload_digest = _digest(payload)
        this_hash = event_hash(
            seq,
            at,
            change.actor,
            change.action,
            change.subject_type,
            change.subject_ref,
            payload_digest,
            prev_hash,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": change.actor,
                "action": change.action,
                "subject_type": change.subject_type,
                "subject_ref": change.subject_ref,
                "payload": payload,
                "payload_digest": payload_digest,
                "prev_hash": prev_hash,
                "hash": this_hash,
            }
        )
        prev_hash = this_hash
    if rows:
        session.execute(insert(AuditEvent), rows)
    return len(rows)


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_ref: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    record_many(session, [Change(actor, action, subject_type, subject_ref, payload or {})])


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_hash: str
    broken_at: int | None  # seq of the first event that does not hold, None when intact
    problem: str

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainReport:
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    for event in rows:
        count += 1
        problem = ""
        if event.seq != expected_seq:
            problem = f"expected event {expected_seq} here, found event {event.seq}"
        elif event.prev_hash != prev:
            problem = "does not follow the event before it (an event was removed or inserted)"
        elif _digest(event.payload) != event.payload_digest:
            problem = "its payload was changed"
        elif event.hash != event_hash(
            event.seq,
            event.at,
            event.actor,
            event.action,
            event.subject_type,
            event.subject_ref,
            event.payload_digest,
            event.prev_hash,
        ):
            problem = "its fields were changed"
        if problem:
            return ChainReport(count, prev, event.seq, problem)
        prev, expected_seq = event.hash, expected_seq + 1
    return ChainReport(count, prev, None, "")
