"""Conflicts of interest in a round: detecting them, listing them, and keeping them out.

`detect_conflicts` runs the rules (conflict_rules.py) over the round and brings the stored
flags in line with what they find: a new finding is a new open flag, a finding whose
evidence changed is reopened (a decision taken on other evidence no longer holds), a flag
whose rule no longer fires lapses. Whatever is conflicted and still assigned is withdrawn
in the same transaction, so a conflicted person is never left assigned.

A flag blocks while it is open (undecided, or a hard clearance still waiting for its second
person) or declared by the reviewer; a soft flag cleared or managed with a rationale, and a
hard one cleared by two people, no longer do. Reviewers declare (rule 5) and certify
"no conflict" through `declare_conflict` and `certify_no_conflict`.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.conflict_rules import (
    OWN_DECLARATION,
    RULES,
    explain,
    find_conflicts,
    load_facts,
)
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    ConflictSeverity,
    ConflictStatus,
    Person,
    Review,
    Round,
    Submission,
)

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
        ConflictFlag.evidence,
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
        elif row.evidence != evidence:
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
    for start in range(0, len(inserts), 50_000):
        session.execute(insert(ConflictFlag.__table__), inserts[start : start + 50_000])
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
# Reading.


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


def list_flags(
    session: Session,
    round_id: int,
    person_id: int | None = None,
    submission_id: int | None = None,
) -> list[FlagView]:
    query = _flags_query().where(ConflictFlag.round_id == round_id)
    if person_id is not None:
        query = query.where(ConflictFlag.person_id == person_id)
    if submission_id is not None:
        query = query.where(ConflictFlag.submission_id == submission_id)
    flags = [FlagView(*row) for row in session.execute(query)]
    flags.sort(key=lambda f: (f.submission_ref, f.person_name, f.rule_number))
    return flags


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


# ---------------------------------------------------------------------------------------
# What reviewers do: declare a conflict, certify none.


def person_in_round(
    session: Session, round_ref: str, person_email: str, submission_ref: str
) -> tuple[Round, Person, Submission]:
    round_ = round_by_ref(session, round_ref)
    person = session.scalar(select(Person).where(Person.email == person_email.strip().lower()))
    if person is None:
        raise NotFound("reviewer", f"{person_email} is not on the roster")
    submission = session.scalar(
        select(Submission).where(Submission.round_id == round_.id, Submission.ref == submission_ref)
    )
    if submission is None:
        raise NotFound("--submission", f"no submission {submission_ref} in {round_.ref}")
    return round_, person, submission


def declare_conflict(
    session: Session,
    round_ref: str,
    person_email: str,
    submission_ref: str,
    reason: str,
    actor: str | None = None,
    declared_on: date | None = None,
) -> FlagView:
    """Rule 5: the reviewer's own declaration (when opening a packet). Hard, and final: the
    submission is withdrawn from them at once and never offered to them again."""
    round_, person, submission = person_in_round(session, round_ref, person_email, submission_ref)
    if not reason.strip():
        raise BadInput("--reason", "is empty: say briefly what the conflict is")
    evidence = {
        "reason": reason.strip(),
        "declared_on": (declared_on or utcnow().date()).isoformat(),
    }
    flag = session.scalar(
        select(ConflictFlag).where(
            ConflictFlag.person_id == person.id,
            ConflictFlag.submission_id == submission.id,
            ConflictFlag.rule == OWN_DECLARATION.key,
        )
    )
    if flag is None:
        flag = ConflictFlag(
            round_id=round_.id,
            person_id=person.id,
            submission_id=submission.id,
            rule=OWN_DECLARATION.key,
            severity=ConflictSeverity.HARD.value,
            evidence=evidence,
            status=ConflictStatus.DECLARED.value,
        )
        session.add(flag)
    elif flag.evidence.get("reason") != evidence["reason"]:
        flag.evidence = {**evidence, "declared_on": flag.evidence.get("declared_on")}
    else:
        return flag_by_id(session, flag.id)
    session.flush()
    who = actor or person.email
    audit.record(
        session,
        who,
        "conflict.declared",
        "conflict",
        f"{round_.ref}/{submission.ref}/{person.email}/{OWN_DECLARATION.key}",
        flag.evidence,
    )
    withdraw_blocked(session, round_, who, (person.id, submission.id))
    return flag_by_id(session, flag.id)


def certify_no_conflict(
    session: Session, round_ref: str, person_email: str, submission_ref: str
) -> None:
    """The reviewer certifies "no conflict" as they submit their review.

    Refused (BadInput) when they are not assigned the submission or a conflict is on record
    for them; otherwise recorded in the audit trail and on their latest review version.
    The review-submission code calls this inside its own transaction.
    """
    round_, person, submission = person_in_round(session, round_ref, person_email, submission_ref)
    assignment = session.scalar(
        select(Assignment).where(
            Assignment.person_id == person.id,
            Assignment.submission_id == submission.id,
            Assignment.state == AssignmentState.ACTIVE,
        )
    )
    flags = check_pair(session, round_, person.id, submission.id, person.email)
    if flags:
        worst = flags[0]
        raise BadInput(
            "conflict",
            f"{person.email} cannot certify no conflict on {submission.ref}: "
            f"{worst.rule_label.lower()} — {worst.explanation}",
        )
    if assignment is None:
        raise BadInput("conflict", f"{person.email} is not assigned {submission.ref}")
    latest = session.scalar(
        select(Review)
        .where(Review.assignment_id == assignment.id)
        .order_by(Review.version.desc())
        .limit(1)
    )
    if latest is not None:
        latest.no_conflict_certified = True
    audit.record(
        session,
        person.email,
        "conflict.none_certified",
        "submission",
        f"{round_.ref}/{submission.ref}",
        {"reviewer": person.email, "review_version": latest.version if latest else None},
    )
