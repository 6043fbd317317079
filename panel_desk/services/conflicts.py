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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, insert, select, update
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
from panel_desk.services.conflict_rules import OWN_DECLARATION, RULES, iter_findings, load_facts
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
    progress(1, 3, "Applying the conflict rules and recording the flags")
    report = _sync(session, round_, iter_findings(facts), actor)
    progress(3, 3, "Conflicts checked")
    return report


def check_pair(
    session: Session, round_: Round, person_id: int, submission_id: int, actor: str
) -> list[FlagView]:
    """Run the rules for one person and one submission now; their blocking flags."""
    facts = load_facts(session, round_, [person_id], [submission_id])
    _sync(session, round_, iter_findings(facts), actor, pair=(person_id, submission_id))
    return [f for f in list_flags(session, round_.id, person_id, submission_id) if f.blocking]


# A flag's (person, submission, rule) packed into one int that sorts as the tuple does: a
# round's ~360,000 keys then cost ~32 bytes each, not a tuple's ~130 (submission ids stay
# below 2**32, rules below 256).
_RULE_KEYS = sorted(RULES)
_RANK = {rule: n for n, rule in enumerate(_RULE_KEYS)}


def _packed(person_id: int, submission_id: int, rule: str) -> int:
    return (person_id << 40) | (submission_id << 8) | _RANK[rule]


def _unpacked(key: int) -> tuple[int, int, str]:
    return key >> 40, (key >> 8) & 0xFFFF_FFFF, _RULE_KEYS[key & 0xFF]


def _sync(
    session: Session,
    round_: Round,
    findings: Iterable[tuple[int, int, str, dict[str, Any]]],
    actor: str,
    pair: tuple[int, int] | None = None,
) -> DetectionReport:
    """Bring the stored flags in line with `findings`, read one at a time.

    The stored flags are held as (id, hash of the evidence text) and each finding is
    compared through the hash of its own text, so neither side's evidence is held for a
    whole round (holding both took ~550 MB at 20,000 submissions). Texts whose hashes
    differ are then compared parsed, so a mere difference of spelling in the stored JSON
    changes nothing. (Equal 64-bit hashes of different texts would leave a changed flag as
    it was; at ~360,000 flags the odds are about 1 in 5·10^13 per check.)
    """
    query = select(
        ConflictFlag.id,
        ConflictFlag.person_id,
        ConflictFlag.submission_id,
        ConflictFlag.rule,
        # The stored text, not parsed. A cast, not a type_coerce: PostgreSQL's driver would
        # otherwise parse the json column itself.
        cast(ConflictFlag.evidence, String).label("evidence"),
    ).where(ConflictFlag.round_id == round_.id, ConflictFlag.rule != OWN_DECLARATION.key)
    if pair is not None:
        query = query.where(
            ConflictFlag.person_id == pair[0], ConflictFlag.submission_id == pair[1]
        )
    existing: dict[int, tuple[int, int]] = {  # key → (flag id, hash of its evidence text)
        _packed(pid, sid, rule): (flag_id, hash(text))
        for flag_id, pid, sid, rule, text in session.execute(
            query.execution_options(yield_per=20_000)
        )
    }
    serialise = getattr(session.connection().dialect, "_json_serializer", None) or json.dumps
    keys: list[int] = []
    new: list[tuple[int, str]] = []  # (key, evidence text)
    differing: list[tuple[int, str]] = []  # (flag id, new evidence text)
    for pid, sid, rule, evidence in findings:
        key = _packed(pid, sid, rule)
        keys.append(key)
        text = serialise(evidence)
        found = existing.pop(key, None)
        if found is None:
            new.append((key, text))
        elif found[1] != hash(text):
            differing.append((found[0], text))
    changed = _changed_evidence(session, differing)
    now = utcnow()
    _insert_flags(session, round_.id, new, now)
    reopened = [
        audit.Change(
            actor,
            "conflict.reopened",
            "conflict",
            _flag_ref(session, flag_id),
            {"was": status, "because": "its evidence changed", "evidence": json.loads(text)},
        )
        for flag_id, status, decided, text in changed
        if decided
    ]
    if changed:
        session.execute(
            update(ConflictFlag),
            [
                {
                    "id": flag_id,
                    "evidence": json.loads(text),
                    "status": ConflictStatus.OPEN.value,
                    "rationale": "",
                    "decided_by_id": None,
                    "seconded_by_id": None,
                    "decided_at": None,
                }
                for flag_id, _, _, text in changed
            ],
        )
    lapsed = [flag_id for flag_id, _ in existing.values()]
    del existing
    for start in range(0, len(lapsed), 10_000):
        session.execute(
            delete(ConflictFlag).where(ConflictFlag.id.in_(lapsed[start : start + 10_000]))
        )
    withdrawn = withdraw_blocked(session, round_, actor, pair)
    by_rule = Counter(_RULE_KEYS[key & 0xFF] for key in keys)
    if new or changed or lapsed:
        summary = {
            "flags": len(keys),
            "by_rule": dict(sorted(by_rule.items())),
            "added": len(new),
            "reopened": len(reopened),
            "lapsed": len(lapsed),
            "digest": _digest(keys),
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
        len(new),
        len(reopened),
        len(lapsed),
        tuple(withdrawn),
    )


def _changed_evidence(
    session: Session, differing: list[tuple[int, int, str]]
) -> list[tuple[int, str, bool, str]]:
    """Of the flags whose evidence text differs, those whose evidence differs in fact:
    (flag id, its status, whether it had been decided on, the new evidence text)."""
    changed = []
    for start in range(0, len(differing), 10_000):
        chunk = dict(differing[start : start + 10_000])  # flag id → new text
        for flag_id, evidence, status, decided_by in session.execute(
            select(
                ConflictFlag.id,
                ConflictFlag.evidence,
                ConflictFlag.status,
                ConflictFlag.decided_by_id,
            ).where(ConflictFlag.id.in_(list(chunk)))
        ):
            text = chunk[flag_id]
            if evidence != json.loads(text):
                decided = status != ConflictStatus.OPEN or decided_by is not None
                changed.append((flag_id, status, decided, text))
    return changed


def _digest(keys: list[int]) -> str:
    """SHA-256 of every finding's "person:submission:rule", sorted, one a line (fed in
    slices, so the whole text is never built)."""
    keys.sort()
    digest = hashlib.sha256()
    for start in range(0, len(keys), 50_000):
        lines = "\n".join(
            "{}:{}:{}".format(*_unpacked(key)) for key in keys[start : start + 50_000]
        )
        digest.update((("\n" if start else "") + lines).encode())
    return digest.hexdigest()


def _insert_flags(
    session: Session, round_id: int, new: list[tuple[int, str]], now: datetime
) -> None:
    """Insert new flags in bulk. On SQLite the rows go to the driver's executemany as
    tuples: a 20,000-submission round makes ~360,000 flags, and SQLAlchemy's per-row
    parameter handling cost more than SQLite's own work (5 s of 18 s when measured)."""
    if not new:
        return
    # In the order of the unique index (person, submission, rule): SQLite then appends to
    # its B-trees instead of inserting all over them.
    new.sort()
    table = ConflictFlag.__table__
    connection = session.connection()
    open_ = ConflictStatus.OPEN.value
    if connection.dialect.name != "sqlite":
        for start in range(0, len(new), 10_000):
            rows = []
            for key, text in new[start : start + 10_000]:
                pid, sid, rule = _unpacked(key)
                rows.append(
                    {
                        "round_id": round_id,
                        "person_id": pid,
                        "submission_id": sid,
                        "rule": rule,
                        "severity": RULES[rule].severity,
                        "evidence": json.loads(text),
                        "status": open_,
                        "rationale": "",
                        "created_at": now,
                    }
                )
            session.execute(insert(table), rows)
        return
    created = table.c.created_at.type._cached_bind_processor(connection.dialect)
    stamp = created(now) if created else now
    statement = (
        f"INSERT INTO {table.name} (round_id, person_id, submission_id, rule, severity, "
        "evidence, status, rationale, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    severity = {rule: RULES[rule].severity for rule in _RULE_KEYS}
    for start in range(0, len(new), 50_000):
        values = []
        for key, text in new[start : start + 50_000]:
            pid, sid, rule = _unpacked(key)
            values.append((round_id, pid, sid, rule, severity[rule], text, open_, "", stamp))
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
