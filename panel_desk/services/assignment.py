"""Assigning reviewers: balanced teams that cover the stage's expertise mix, never conflicted.

`record_assignments` is the one door through which Assignment rows are made or made
active again, whoever asks (`assign`, the GUI's manual change or undo, the demo, later
imports): it refuses a pair any blocking conflict flag covers, and anyone who is not a
peer reviewer. `assign_round` first brings the round's conflict flags up to date (which
also withdraws anyone newly conflicted), then plans the teams (assignment_plan.py) and
writes them in bulk. A submission with no valid team is reported with the reason, and
gets nobody new.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.assignment_plan import Outcome, Task, plan_teams
from panel_desk.services.conflicts import (
    DetectionReport,
    blocked_pairs,
    detect_conflicts,
    list_flags,
    refusal,
)
from panel_desk.services.criteria import ExpertiseNeed
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.services.submissions import area_key
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ExpertiseTag,
    Person,
    PersonRole,
    Role,
    Round,
    RoundState,
    ScreeningState,
    Submission,
)

MAX_TEAM = 12


def expertise_tag(tag: str) -> str:
    """A tag as compared: lower case, and an area written as submissions' areas are."""
    tag = tag.strip().lower()
    return "area:" + area_key(tag[5:]) if tag.startswith("area:") else tag


def needs_of(spec_needs: Iterable[ExpertiseNeed], area: str) -> frozenset[str]:
    """The tags a submission's team must hold: the stage's mix with its area filled in."""
    area = area or "no area given"
    return frozenset(expertise_tag(need.tag.replace("{area}", area)) for need in spec_needs)


def reviewer_tags(session: Session) -> dict[int, set[str]]:
    """Every peer reviewer on the roster, with their expertise tags."""
    reviewers: dict[int, set[str]] = {
        pid: set()
        for pid in session.scalars(
            select(PersonRole.person_id).where(PersonRole.role == Role.REVIEWER)
        )
    }
    for pid, tag in session.execute(select(ExpertiseTag.person_id, ExpertiseTag.tag)):
        if pid in reviewers:
            reviewers[pid].add(expertise_tag(tag))
    return reviewers


def active_teams(session: Session, round_id: int) -> dict[int, list[int]]:
    teams: dict[int, list[int]] = {}
    for sid, pid in session.execute(
        select(Assignment.submission_id, Assignment.person_id)
        .where(Assignment.round_id == round_id, Assignment.state == AssignmentState.ACTIVE)
        .order_by(Assignment.id)
    ):
        teams.setdefault(sid, []).append(pid)
    return teams


# ---------------------------------------------------------------------------------------
# The door.


def record_assignments(
    session: Session, round_: Round, pairs: list[tuple[int, int]], actor: str
) -> list[tuple[int, int]]:
    """Make each (submission id, person id) pair an active assignment; the pairs made.

    Refuses all of them (ConflictRefused) if a blocking flag covers any, and BadInput if
    anyone is not a peer reviewer. Pairs already active are left as they are.
    """
    if not pairs:
        return []
    blocked = blocked_pairs(session, round_.id)
    for sid, pid in pairs:
        if pid in blocked.get(sid, ()):
            flags = [f for f in list_flags(session, round_.id, pid, sid) if f.blocking]
            ref = session.get_one(Submission, sid).ref
            raise refusal(session.get_one(Person, pid).email, ref, flags)
    reviewers = set(
        session.scalars(select(PersonRole.person_id).where(PersonRole.role == Role.REVIEWER))
    )
    for _, pid in pairs:
        if pid not in reviewers:
            email = session.get_one(Person, pid).email
            raise BadInput("--reviewer", f"{email} is not a peer reviewer on the roster")
    existing = {
        (sid, pid): (aid, state)
        for aid, sid, pid, state in session.execute(
            select(
                Assignment.id, Assignment.submission_id, Assignment.person_id, Assignment.state
            ).where(Assignment.round_id == round_.id)
        )
    }
    now = utcnow()
    inserts, reactivate, made = [], [], []
    for sid, pid in dict.fromkeys(pairs):
        found = existing.get((sid, pid))
        if found is None:
            inserts.append(
                {
                    "round_id": round_.id,
                    "submission_id": sid,
                    "person_id": pid,
                    "state": AssignmentState.ACTIVE.value,
                    "assigned_at": now,
                }
            )
        elif found[1] != AssignmentState.ACTIVE:
            reactivate.append(
                {"id": found[0], "state": AssignmentState.ACTIVE.value, "assigned_at": now}
            )
        else:
            continue
        made.append((sid, pid))
    for start in range(0, len(inserts), 50_000):
        session.execute(insert(Assignment.__table__), inserts[start : start + 50_000])
    if reactivate:
        session.execute(update(Assignment), reactivate)
    if made and round_.state == RoundState.SCREENING:
        round_.state = RoundState.ASSIGNMENT.value
    return made


# ---------------------------------------------------------------------------------------
# Whole rounds.


@dataclass(frozen=True)
class TeamOutcome:
    ref: str
    team: tuple[str, ...]  # e-mail addresses, existing members first
    added: tuple[str, ...]
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "team": list(self.team), "added": list(self.added)} | (
            {"reason": self.reason} if self.reason else {}
        )


@dataclass(frozen=True)
class AssignmentReport:
    round_ref: str
    per_submission: int
    max_load: int | None
    conflicts: DetectionReport
    outcomes: tuple[TeamOutcome, ...]
    skipped: tuple[tuple[str, str], ...]  # (ref, why it is not ready for reviewers)
    added: int
    seconds: float
    loads: tuple[tuple[str, int], ...] = ()  # (reviewer e-mail, active reviews in the round)

    @property
    def unassigned(self) -> list[TeamOutcome]:
        return [o for o in self.outcomes if o.reason]

    def as_json(self) -> dict[str, Any]:
        return {
            "round": self.round_ref,
            "per_submission": self.per_submission,
            "max_load": self.max_load,
            "assignments_made": self.added,
            "staffed": sum(1 for o in self.outcomes if not o.reason),
            "unassigned": [o.as_json() for o in self.unassigned],
            "skipped": [{"ref": r, "reason": why} for r, why in self.skipped],
            "submissions": [o.as_json() for o in self.outcomes if not o.reason],
            "loads": dict(self.loads),
            "conflicts": self.conflicts.as_json(),
            "seconds": round(self.seconds, 3),
        }


def assign_round(
    session: Session,
    round_ref: str,
    per_submission: int | None = None,
    max_load: int | None = None,
    actor: str = audit.SYSTEM,
    progress: Progress = no_progress,
) -> AssignmentReport:
    """Give every submission through screening a full, balanced, conflict-free team, keeping
    the reviewers it already has; report each one that cannot have one, and why."""
    started = time.perf_counter()
    round_ = round_by_ref(session, round_ref)
    spec = criteria_of(session, round_)
    size = spec.team_size if per_submission is None else per_submission
    if not 1 <= size <= MAX_TEAM:
        raise BadInput("--per-submission", f"must be from 1 to {MAX_TEAM}, got {size}")
    if max_load is not None and max_load < 1:
        raise BadInput("--max-load", f"must be at least 1, got {max_load}")
    conflicts = detect_conflicts(session, round_ref, actor, progress)
    progress(0, 2, f"Choosing teams for {round_.ref}")
    reviewers = reviewer_tags(session)
    teams = active_teams(session, round_.id)
    loads: dict[int, int] = {}
    for team in teams.values():
        for pid in team:
            loads[pid] = loads.get(pid, 0) + 1
    blocked = blocked_pairs(session, round_.id)
    tasks, skipped, refs = [], [], {}
    for sid, ref, area, state in session.execute(
        select(Submission.id, Submission.ref, Submission.area, Submission.screening_state)
        .where(Submission.round_id == round_.id)
        .order_by(Submission.ref)
    ):
        refs[sid] = ref
        if state != ScreeningState.COMPLETE:
            skipped.append((ref, f"screening: {ScreeningState(state).label}"))
            continue
        tasks.append(
            Task(
                sid,
                ref,
                needs_of(spec.expertise, area),
                tuple(teams.get(sid, ())),
                frozenset(blocked.get(sid, ())),
            )
        )
    outcomes = plan_teams(tasks, reviewers, size, max_load, loads)
    pairs = [(o.submission_id, pid) for o in outcomes for pid in o.added]
    progress(1, 2, f"Recording {len(pairs)} assignments")
    made = record_assignments(session, round_, pairs, actor)
    emails = dict(session.execute(select(Person.id, Person.email)).all())
    report = [_outcome(o, emails) for o in outcomes]
    audit.record(
        session,
        actor,
        "assignments.made",
        "round",
        round_.ref,
        {
            "per_submission": size,
            "max_load": max_load,
            "made": len(made),
            "unassigned": {o.ref: o.reason for o in report if o.reason},
            "digest": hashlib.sha256(
                "\n".join(f"{refs[s]}:{emails[p]}" for s, p in sorted(made)).encode()
            ).hexdigest(),
        },
    )
    loads_now = session.execute(
        select(Person.email, func.count())
        .join(Assignment, Assignment.person_id == Person.id)
        .where(Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE)
        .group_by(Person.email)
        .order_by(Person.email)
    ).all()
    progress(2, 2, "Teams chosen")
    return AssignmentReport(
        round_.ref,
        size,
        max_load,
        conflicts,
        tuple(report),
        tuple(skipped),
        len(made),
        time.perf_counter() - started,
        tuple((email, n) for email, n in loads_now),
    )


def _outcome(outcome: Outcome, emails: dict[int, str]) -> TeamOutcome:
    return TeamOutcome(
        outcome.ref,
        tuple(emails[p] for p in outcome.team),
        tuple(emails[p] for p in outcome.added),
        outcome.reason,
    )
