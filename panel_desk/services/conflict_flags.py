"""Conflict flags as the rest of the app reads them: one frozen view per flag with its
rule, evidence in words and decision; the listings; and which pairs a flag keeps apart.

A flag blocks while it is open (undecided, or a hard clearance still waiting for its second
person) or declared by the reviewer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from panel_desk.errors import BadInput, NotFound
from panel_desk.services.conflict_evidence import explain
from panel_desk.services.conflict_rules import RULES
from panel_desk.services.progress import Progress, no_progress
from panel_desk.store.models import ConflictFlag, ConflictStatus, Person, Submission

BLOCKING = (ConflictStatus.OPEN.value, ConflictStatus.DECLARED.value)


@dataclass(frozen=True, slots=True)
class FlagView:
    id: int
    person_id: int
    person_email: str
    person_name: str
    submission_id: int
    submission_ref: str
    rule: str
    severity: str
    evidence: dict[str, Any]
    status: str
    rationale: str
    decided_by: str
    seconded_by: str
    decided_at: datetime | None

    @property
    def rule_number(self) -> int:
        return RULES[self.rule].number

    @property
    def rule_label(self) -> str:
        return RULES[self.rule].label

    @property
    def explanation(self) -> str:
        return explain(self.rule, self.evidence)

    @property
    def blocking(self) -> bool:
        return self.status in BLOCKING

    @property
    def awaiting_second(self) -> bool:
        return self.status == ConflictStatus.OPEN and bool(self.decided_by)

    @property
    def decision_label(self) -> str:
        if self.status == ConflictStatus.DECLARED:
            return "declared by the reviewer"
        if self.awaiting_second:
            return f"clearance by {self.decided_by} awaits a second person"
        if self.status == ConflictStatus.OPEN:
            return "needs a decision"
        who = f" by {self.decided_by}" + (f" and {self.seconded_by}" if self.seconded_by else "")
        return f"{self.status}{who}"

    def as_json(self) -> dict[str, Any]:
        decision = None
        if self.decided_by:
            decision = {
                "status": self.status,
                "rationale": self.rationale,
                "decided_by": self.decided_by,
                "seconded_by": self.seconded_by or None,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            }
        return {
            "id": self.id,
            "person": self.person_email,
            "person_name": self.person_name,
            "submission": self.submission_ref,
            "rule": self.rule,
            "rule_number": self.rule_number,
            "rule_label": self.rule_label,
            "severity": self.severity,
            "evidence": self.evidence,
            "explanation": self.explanation,
            "status": self.status,
            "blocking": self.blocking,
            "decision": decision,
        }


@dataclass
class ConflictRefused(BadInput):
    """An assignment refused because a conflict blocks it; `flags` say which and why."""

    flags: tuple[FlagView, ...] = ()


def refusal(person_email: str, submission_ref: str, flags: list[FlagView]) -> ConflictRefused:
    reasons = "; ".join(
        f"rule {f.rule_number} {f.rule_label.lower()} ({f.severity}, {f.decision_label}): "
        f"{f.explanation}"
        for f in flags
    )
    return ConflictRefused(
        submission_ref,
        f"{person_email} cannot be assigned: conflict of interest — {reasons}",
        flags=tuple(flags),
    )


def _flags_query() -> Select[Any]:
    decider, seconder = aliased(Person), aliased(Person)
    return (
        select(
            ConflictFlag.id,
            ConflictFlag.person_id,
            Person.email,
            Person.name,
            ConflictFlag.submission_id,
            Submission.ref,
            ConflictFlag.rule,
            ConflictFlag.severity,
            ConflictFlag.evidence,
            ConflictFlag.status,
            ConflictFlag.rationale,
            func.coalesce(decider.email, ""),
            func.coalesce(seconder.email, ""),
            ConflictFlag.decided_at,
        )
        .join(Person, Person.id == ConflictFlag.person_id)
        .join(Submission, Submission.id == ConflictFlag.submission_id)
        .outerjoin(decider, decider.id == ConflictFlag.decided_by_id)
        .outerjoin(seconder, seconder.id == ConflictFlag.seconded_by_id)
        .order_by(Submission.ref, Person.name, ConflictFlag.rule)
    )


FLAGS_PER_STEP = 1_000


def list_flags(
    session: Session,
    round_id: int,
    person_id: int | None = None,
    submission_id: int | None = None,
    search: str = "",
    limit: int | None = None,
    progress: Progress = no_progress,
) -> list[FlagView]:
    """The round's flags (a person's, a submission's), ordered by submission and person.

    `search` keeps those whose person (name or e-mail) or submission ref holds every word;
    `limit` reads no more than that many, so a view of a 20,000-submission round need not
    hold hundreds of thousands of flags at once. `progress` is called between batches of
    FLAGS_PER_STEP (it may raise Cancelled; a read leaves nothing behind).
    """
    query = _flags_query().where(ConflictFlag.round_id == round_id)
    if person_id is not None:
        query = query.where(ConflictFlag.person_id == person_id)
    if submission_id is not None:
        query = query.where(ConflictFlag.submission_id == submission_id)
    for word in search.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(
            or_(
                Person.email.ilike(pattern, escape="\\"),
                Person.name.ilike(pattern, escape="\\"),
                Submission.ref.ilike(pattern, escape="\\"),
            )
        )
    if limit is not None:
        query = query.limit(limit)
    progress(0, limit or 0, "Reading the conflict flags")
    flags: list[FlagView] = []
    for batch in session.execute(query).partitions(FLAGS_PER_STEP):
        flags.extend(FlagView(*row) for row in batch)
        progress(len(flags), max(limit or 0, len(flags)), f"Read {len(flags):,} flags")
    flags.sort(key=lambda f: (f.submission_ref, f.person_name, f.rule_number))
    return flags


def count_flags(session: Session, round_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(ConflictFlag).where(ConflictFlag.round_id == round_id)
        )
        or 0
    )


def flag_by_id(session: Session, flag_id: int) -> FlagView:
    row = session.execute(_flags_query().where(ConflictFlag.id == flag_id)).first()
    if row is None:
        raise NotFound("flag", f"no conflict flag {flag_id}")
    return FlagView(*row)


def flags_of_submission(session: Session, submission_id: int) -> list[FlagView]:
    round_id = session.scalar(select(Submission.round_id).where(Submission.id == submission_id))
    return [] if round_id is None else list_flags(session, round_id, submission_id=submission_id)


def blocked_pairs(session: Session, round_id: int) -> dict[int, set[int]]:
    """submission id → the people a blocking flag keeps off it."""
    blocked: dict[int, set[int]] = defaultdict(set)
    for sid, pid in session.execute(
        select(ConflictFlag.submission_id, ConflictFlag.person_id).where(
            ConflictFlag.round_id == round_id, ConflictFlag.status.in_(BLOCKING)
        )
    ):
        blocked[sid].add(pid)
    return blocked


def blocked_for(person_email: str) -> Select[Any]:
    """The submission ids a blocking flag keeps `person_email` away from (for list queries)."""
    return (
        select(ConflictFlag.submission_id)
        .join(Person, Person.id == ConflictFlag.person_id)
        .where(Person.email == person_email, ConflictFlag.status.in_(BLOCKING))
    )
