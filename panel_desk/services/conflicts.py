"""Conflicts of interest in a round: detecting them, listing them, and keeping them out.

`detect_conflicts` runs the rules (conflict_rules.py) over the round and brings the stored
flags in line with what they find: a new finding is a new open flag, a finding whose
evidence changed is reopened (a decision taken on other evidence no longer holds), a flag
whose rule no longer fires lapses. Whatever is conflicted and still assigned is withdrawn
in the same transaction, so a conflicted person is never left assigned.

A flag blocks while it is open (undecided, or a hard clearance still waiting for its second
person) or declared by the reviewer; a soft flag cleared or managed with a rationale, and a
hard one cleared by two people, no longer do. What reviewers declare and certify is in
conflict_declarations.py, the secretariat's decisions in conflict_decisions.py.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, delete, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from panel_desk.services import audit
from panel_desk.services.conflict_flags import (
    BLOCKING,
    ConflictRefused,
    FlagView,
    blocked_for,
    blocked_pairs,
    count_flags,
    flag_by_id,
    flags_of_submission,
    list_flags,
    refusal,
)
from panel_desk.services.conflict_rules import OWN_DECLARATION, RULES, find_conflicts, load_facts
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    ConflictStatus,
    Person,
    Round,
    Submission,
)

__all__ = [
    "BLOCKING",
    "RULES",
    "ConflictRefused",
    "DetectionReport",
    "FlagView",
    "blocked_for",
    "blocked_pairs",
    "check_pair",
    "count_flags",
    "detect_conflicts",
    "flag_by_id",
    "flags_of_submission",
    "list_flags",
    "refusal",
    "withdraw_blocked",
]


@dataclass(frozen=True)
class DetectionReport:
    round_ref: str
    flags: int
    by_rule: dict[str, int]
    added: int
    reopened: int
    lapsed: int
    withdrawn: tuple[tuple[str, str], ...]  # (submission ref, reviewer e-mail)

    def as_json(self) -> dict[str, Any]:
        return {
            "flags": self.flags,
            "by_rule": self.by_rule,
            "added": self.added,
            "reopened": self.reopened,
            "lapsed": self.lapsed,
            "withdrawn": [{"submission": s, "person": p} for s, p in self.withdrawn],
        }


# ---------------------------------------------------------------------------------------
# Detecting.


def detect_conflicts(
    session: Session, round_ref: str, actor: str = audit.SYSTEM, progress: Progress = no_progress
) -> DetectionReport:
    """Run rules 1–4 over the whole round and bring its flags up to date."""
    round_ = round_by_ref(session, round_ref)
    progress(0, 3, f"Reading the roster and the submissions of {round_.ref}")
    facts = load_facts(session, round_)
    progress(1, 3, "Applying the conflict rules")
    findings = find_conflicts(facts)
    progress(2, 3, f"Recording {len(findings)} flags")
    report = _sync(session, round_, findings, actor)
    progress(3, 3, "Conflicts checked")
    return report


def check_pair(
    session: Session, round_: Round, person_id: int, submission_id: int, actor: str
) -> list[FlagView]:
    """Run the rules for one person and one submission now; their blocking flags."""
    facts = load_facts(session, round_, [person_id], [submission_id])
    findings = find_conflicts(facts)
    _sync(session, round_, findings, actor, pair=(person_id, submission_id))
    return [f for f in list_flags(session, round_.id, person_id, submission_id) if f.blocking]


def _sync(
    session: Session,
    round_: Round,
    findings: dict[tuple[int, int, str], dict[str, Any]],
    actor: str,
    pair: tuple[int, int] | None = None,
) -> DetectionReport:
    query = select(
        ConflictFlag.id,
        ConflictFlag.person_id,
        ConflictFlag.submission_id,
        ConflictFlag.rule,
        # The stored text, not parsed: comparing it with the new evidence serialised the same
        # way spares parsing a whole round's evidence when nothing changed.
        type_coerce(ConflictFlag.evidence, String).label("evidence"),
        ConflictFlag.status,
        ConflictFlag.decided_by_id,
    ).where(ConflictFlag.round_id == round_.id, ConflictFlag.rule != OWN_DECLARATION.key)
    if pair is not None:
        query = query.where(
            ConflictFlag.person_id == pair[0], ConflictFlag.submission_id == pair[1]
        )
    existing = {(r.person_id, r.submission_id, r.rule): r for r in session.execute(query)}
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    reopened: list[audit.Change] = []
    for key, evidence in findings.items():
        row = existing.pop(key, None)
        if row is None:
            inserts.append(
                {
                    "round_id": round_.id,
                    "person_id": key[0],
                    "submission_id": key[1],
                    "rule": key[2],
                    "severity": RULES[key[2]].severity,
                    "evidence": evidence,
                    "status": ConflictStatus.OPEN.value,
                    "rationale": "",
                    "created_at": now,
                }
            )
        elif row.evidence != json.dumps(evidence) and json.loads(row.evidence) != evidence:
            updates.append(
                {
                    "id": row.id,
                    "evidence": evidence,
                    "status": ConflictStatus.OPEN.value,
                    "rationale": "",
                    "decided_by_id": None,
                    "seconded_by_id": None,
                    "decided_at": None,
                }
            )
            if row.status != ConflictStatus.OPEN or row.decided_by_id is not None:
                reopened.append(
                    audit.Change(
                        actor,
                        "conflict.reopened",
                        "conflict",
                        _flag_ref(session, row.id),
                        {
                            "was": row.status,
                            "because": "its evidence changed",
                            "evidence": evidence,
                        },
                    )
                )
    _insert_flags(session, inserts)
    if updates:
        session.execute(update(ConflictFlag), updates)
    lapsed = [row.id for row in existing.values()]
    for start in range(0, len(lapsed), 10_000):
        session.execute(
            delete(ConflictFlag).where(ConflictFlag.id.in_(lapsed[start : start + 10_000]))
        )
    withdrawn = withdraw_blocked(session, round_, actor, pair)
    by_rule = Counter(key[2] for key in findings)
    changed = bool(inserts or updates or lapsed)
    if changed:
        digest = hashlib.sha256(
            "\n".join(f"{p}:{s}:{r}" for p, s, r in sorted(findings)).encode()
        ).hexdigest()
        summary = {
            "flags": len(findings),
            "by_rule": dict(sorted(by_rule.items())),
            "added": len(inserts),
            "reopened": len(reopened),
            "lapsed": len(lapsed),
            "digest": digest,
        }
        if pair is None:
            subject = ("round", round_.ref)
        else:
            subject = ("conflict", f"{round_.ref}/{_submission_ref(session, pair[1])}")
            summary["person"] = _email(session, pair[0])
        audit.record_many(
            session, [*reopened, audit.Change(actor, "conflicts.detected", *subject, summary)]
        )
    total = session.scalar(
        select(func.count()).select_from(ConflictFlag).where(ConflictFlag.round_id == round_.id)
    )
    return DetectionReport(
        round_.ref,
        total or 0,
        dict(sorted(by_rule.items())),
        len(inserts),
        len(reopened),
        len(lapsed),
        tuple(withdrawn),
    )


def _insert_flags(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new flags in bulk. On SQLite the rows go to the driver's executemany as
    tuples: a 20,000-submission round makes ~360,000 flags, and SQLAlchemy's per-row
    parameter handling cost more than SQLite's own work (5 s of 18 s when measured)."""
    if not rows:
        return
    table = ConflictFlag.__table__
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        for start in range(0, len(rows), 50_000):
            session.execute(insert(table), rows[start : start + 50_000])
        return
    # In the order of the unique index (person, submission, rule): SQLite then appends to
    # its B-trees instead of inserting all over them.
    rows.sort(key=lambda r: (r["person_id"], r["submission_id"], r["rule"]))
    columns = list(rows[0])
    created = table.c.created_at.type._cached_bind_processor(connection.dialect)
    serialise = getattr(connection.dialect, "_json_serializer", None) or json.dumps
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    at = columns.index("created_at"), columns.index("evidence")
    stamp = created(rows[0]["created_at"]) if created else rows[0]["created_at"]
    values = []
    for row in rows:
        value = list(row.values())
        value[at[0]], value[at[1]] = stamp, serialise(value[at[1]])
        values.append(tuple(value))
    connection.exec_driver_sql(statement, values)


def withdraw_blocked(
    session: Session, round_: Round, actor: str, pair: tuple[int, int] | None = None
) -> list[tuple[str, str]]:
    """Withdraw every active assignment of the round that a blocking flag now covers."""
    query = (
        select(Assignment.id, Submission.ref, Person.email)
        .join(Submission, Submission.id == Assignment.submission_id)
        .join(Person, Person.id == Assignment.person_id)
        .where(
            Assignment.round_id == round_.id,
            Assignment.state == AssignmentState.ACTIVE,
            Assignment.person_id.in_(
                select(ConflictFlag.person_id).where(
                    ConflictFlag.submission_id == Assignment.submission_id,
                    ConflictFlag.status.in_(BLOCKING),
                )
            ),
        )
    )
    if pair is not None:
        query = query.where(Assignment.person_id == pair[0], Assignment.submission_id == pair[1])
    rows = session.execute(query).all()
    if not rows:
        return []
    session.execute(
        update(Assignment)
        .where(Assignment.id.in_([r.id for r in rows]))
        .values(state=AssignmentState.WITHDRAWN.value)
    )
    audit.record_many(
        session,
        [
            audit.Change(
                actor,
                "assignment.withdrawn",
                "submission",
                f"{round_.ref}/{ref}",
                {"reviewer": email, "reason": "conflict of interest"},
            )
            for _, ref, email in rows
        ],
    )
    return [(ref, email) for _, ref, email in rows]


# ---------------------------------------------------------------------------------------
# Helpers.


def _flag_ref(session: Session, flag_id: int) -> str:
    row = session.execute(
        select(Round.ref, Submission.ref, Person.email, ConflictFlag.rule)
        .join(Submission, Submission.id == ConflictFlag.submission_id)
        .join(Round, Round.id == ConflictFlag.round_id)
        .join(Person, Person.id == ConflictFlag.person_id)
        .where(ConflictFlag.id == flag_id)
    ).one()
    return "/".join(row)


def _submission_ref(session: Session, submission_id: int) -> str:
    return session.scalar(select(Submission.ref).where(Submission.id == submission_id)) or "?"


def _email(session: Session, person_id: int) -> str:
    return session.scalar(select(Person.email).where(Person.id == person_id)) or "?"
