"""The audit trail: every state change appends an event chained by hash to the one before.

`record` is called inside the transaction that makes the change, so the event and the
change land together or not at all. `verify_chain` recomputes every hash and reports the
first event that does not follow from its predecessor.

Why a sealed head. A hash chain shows any edited, inserted, reordered or removed event
except the last ones: drop events from the end and what remains is a perfectly good,
shorter chain. So each transaction that records events also rewrites the chain's *head*
(`audit_head`: the last event's number and hash) in the same transaction, so the head and
the events can never disagree after a crash; removing events from the end without also
rewriting the head shows. To make rewriting the head useless as well, the head carries an
HMAC under a key that is never in the database (services/audit_seal.py: the OS keyring of
the machine that wrote it). Someone editing the file with sqlite3, on any machine without
that key, cannot produce a head that the writing machine will accept.

We chose this over a head kept in a file beside the database: a plain file is as easy to
rewrite as the database (it holds only a hash anyone can recompute) and cannot be updated
in the same transaction, so every crash between the two would look like tampering.

What the seal cannot do, and what covers it:
- Verify on a machine without the sealing key: the seal is "from another machine" and only
  the head's consistency is checked (`audit verify --require-seal` fails then).
- Someone who can use the sealing machine's keyring can rewrite anything: they are the app.
- Rolling the whole file back to an older copy leaves a consistent, older trail; the heads
  written into backup manifests (and, later, into packets and packs) are the outside record.
- Heads written where no keyring works are unsealed and `audit verify` says so.

A writer that finds the head and the events disagreeing (events removed from the end, or
appended outside panel_desk, or a seal that does not hold) first appends an
`audit.trail_damaged` event describing what it found, so the evidence outlives the next
write instead of being papered over by it; `verify_chain` reports that event as a break.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from panel_desk.services.audit_seal import SealKey, seal_key
from panel_desk.services.bulk_rows import insert_rows
from panel_desk.services.progress import Progress, no_progress
from panel_desk.store.base import utcnow
from panel_desk.store.database import hold_writer_lock
from panel_desk.store.models import AuditConcern, AuditEvent, AuditHead

GENESIS = "0" * 64
SYSTEM = "system"
"""The actor of changes nobody in particular made (e.g. the demo generator)."""
DAMAGED = "audit.trail_damaged"
"""The action of the event a writer appends when it finds the trail tampered with."""
HEAD_ID = 1

SEAL_CHECKED = "checked"
SEAL_FOREIGN = "foreign"
SEAL_NONE = "unsealed"
SEAL_EMPTY = "empty"


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
    """One state change to record: who did what to which subject, with what data.

    `concerns` names further things the event is about, for the audit view and a
    submission's history: ("submission", "ROUND/REF"), ("person", email), ("round", REF).
    The subject and an e-mail actor are added on their own."""

    actor: str
    action: str
    subject_type: str
    subject_ref: str
    payload: Mapping[str, Any]
    concerns: tuple[tuple[str, str], ...] = field(default=())


def concerns_of(change: Change) -> set[tuple[str, str]]:
    found = set(change.concerns)
    if "@" in change.actor:
        found.add(("person", change.actor))
    if change.subject_type == "submission":
        found.add(("submission", change.subject_ref))
        found.add(("round", change.subject_ref.split("/", 1)[0]))
    elif change.subject_type in ("round", "person"):
        found.add((change.subject_type, change.subject_ref))
    for kind, ref in list(found):
        if kind == "submission":
            found.add(("round", ref.split("/", 1)[0]))
    return found


def _last_event(session: Session) -> tuple[int, str]:
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


def _head(session: Session) -> AuditHead | None:
    return session.execute(select(AuditHead).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()


def head_damage(
    head: AuditHead | None, last: tuple[int, str], key: SealKey | None
) -> tuple[int, str] | None:
    """(first event affected, what is wrong) when the head and the events disagree."""
    seq, last_hash = last
    if head is None:
        if seq == 0:
            return None
        return seq, "the chain's head record is missing (it is written with every event)"
    if head.seq > seq:
        return seq + 1, (
            f"is missing: the head records {head.seq} events but the trail ends at event "
            f"{seq} (events were removed from the end)"
        )
    if head.seq < seq:
        return head.seq + 1, (
            f"was added after the last recorded head (event {head.seq}), not by panel_desk"
        )
    if head.hash != last_hash:
        return seq, "does not match the chain's recorded head"
    if key is not None and head.key_id == key.key_id and not key.holds(seq, last_hash, head.seal):
        return seq, "the head's seal does not hold: the head was rewritten outside panel_desk"
    return None


def _write_head(session: Session, seq: int, head_hash: str, key: SealKey | None) -> None:
    values = {
        "seq": seq,
        "hash": head_hash,
        "key_id": key.key_id if key else "",
        "seal": key.seal(seq, head_hash) if key else "",
        "updated_at": utcnow(),
    }
    done = session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(**values))
    if not done.rowcount:
        session.execute(insert(AuditHead).values(id=HEAD_ID, **values))


def record_many(session: Session, changes: Iterable[Change]) -> int:
    """Append events for `changes` in order; returns how many were written."""
    pending = list(changes)
    if not pending:
        return 0
    key = seal_key()
    hold_writer_lock(session)  # two writers must never chain to the same last event
    seq, prev_hash = _last_event(session)
    damage = head_damage(_head(session), (seq, prev_hash), key)
    if damage is not None:
        first, problem = damage
        pending.insert(
            0,
            Change(SYSTEM, DAMAGED, "audit", "head", {"first_event": first, "problem": problem}),
        )
    rows: list[dict[str, Any]] = []
    concerns: list[dict[str, Any]] = []
    for change in pending:
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
        concerns.extend(
            {"event_seq": seq, "kind": kind, "ref": ref}
            for kind, ref in sorted(concerns_of(change))
        )
        prev_hash = this_hash
    # The driver's executemany: a return import writes a concern for every review.
    insert_rows(session, AuditEvent.__table__, _EVENT_COLUMNS, [_row(r) for r in rows])
    insert_rows(
        session,
        AuditConcern.__table__,
        ("event_seq", "kind", "ref"),
        [(c["event_seq"], c["kind"], c["ref"]) for c in concerns],
    )
    _write_head(session, seq, prev_hash, key)
    return len(rows) - (damage is not None)


_EVENT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "subject_type",
    "subject_ref",
    "payload",
    "payload_digest",
    "prev_hash",
    "hash",
)


def _row(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[c] for c in _EVENT_COLUMNS)


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str,
    subject_ref: str,
    payload: Mapping[str, Any] | None = None,
    concerns: tuple[tuple[str, str], ...] = (),
) -> None:
    record_many(
        session, [Change(actor, action, subject_type, subject_ref, payload or {}, concerns)]
    )


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_hash: str
    broken_at: int | None  # seq of the first event that does not hold, None when intact
    problem: str
    seal: str = SEAL_EMPTY  # checked, foreign, unsealed, or empty (no events)
    key_id: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None

    @property
    def seal_note(self) -> str:
        return {
            SEAL_CHECKED: "head sealed by this machine's key (checked)",
            SEAL_FOREIGN: f"head sealed on another machine (key {self.key_id}), "
            "which this one cannot check",
            SEAL_NONE: "head not sealed (written where no keyring was available)",
            SEAL_EMPTY: "no events yet",
        }[self.seal]


_COLUMNS = (
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


def event_problem(event: Any, expected_seq: int, prev: str) -> str:
    """What is wrong with one event (a row with the columns above), '' when it holds."""
    if event.seq != expected_seq:
        return f"expected event {expected_seq} here, found event {event.seq}"
    if event.prev_hash != prev:
        return "does not follow the event before it (an event was removed or inserted)"
    if _digest(event.payload) != event.payload_digest:
        return "its payload was changed"
    if event.hash != event_hash(
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.subject_type,
        event.subject_ref,
        event.payload_digest,
        event.prev_hash,
    ):
        return "its fields were changed"
    return ""


def _damage_reported(event: Any) -> tuple[int, str]:
    try:
        payload = json.loads(event.payload)
        return int(payload["first_event"]), str(payload["problem"])
    except (ValueError, KeyError, TypeError):
        return event.seq, "the trail was found damaged"


CHECKED_PER_STEP = 5_000
"""Events checked between two progress calls: where a Cancel can stop a long check."""


def verify_chain(session: Session, progress: Progress = no_progress) -> ChainReport:
    """Walk the whole chain; `progress` is called every CHECKED_PER_STEP events (it may
    raise Cancelled: a check only reads, so stopping leaves nothing behind)."""
    prev, expected_seq, count = GENESIS, 1, 0
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    progress(0, total, f"Checking {total:,} events of the audit trail")
    # Streamed, not fetched whole: a hub's trail is hundreds of thousands of rows, and
    # fetching them at once holds the GIL (the window stalls) and delays a Cancel.
    rows = session.execute(
        select(*_COLUMNS).order_by(AuditEvent.id).execution_options(yield_per=CHECKED_PER_STEP)
    )
    for event in rows:
        count += 1
        if count % CHECKED_PER_STEP == 0:
            progress(count, total, f"Checked {count:,} of {total:,} events of the audit trail")
        problem = event_problem(event, expected_seq, prev)
        if problem:
            return ChainReport(count, prev, event.seq, problem)
        if event.action == DAMAGED:
            first, found = _damage_reported(event)
            return ChainReport(
                count, prev, first, f"{found} (found when event {event.seq} was written)"
            )
        prev, expected_seq = event.hash, expected_seq + 1
    head = _head(session)
    key = seal_key(create=False)
    damage = head_damage(head, (expected_seq - 1, prev), key)
    if damage is not None:
        return ChainReport(count, prev, damage[0], damage[1])
    if head is None:
        return ChainReport(count, prev, None, "")
    if not head.key_id:
        seal = SEAL_NONE
    elif key is not None and head.key_id == key.key_id:
        seal = SEAL_CHECKED
    else:
        seal = SEAL_FOREIGN
    return ChainReport(count, prev, None, "", seal, head.key_id)
