"""What the assignment view shows: each submission's team and what it covers, each
reviewer's load, and who could join a team (with any conflict that would refuse them).

Read in a few queries per round whatever its size; the GUI gets frozen dataclasses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.services.assignment import active_teams, needs_of, reviewer_tags
from panel_desk.services.conflict_rules import RULES
from panel_desk.services.conflicts import BLOCKING
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.rounds import criteria_of
from panel_desk.store.models import ConflictFlag, Person, Round, ScreeningState, Submission


@dataclass(frozen=True, slots=True)
class Member:
    person_id: int
    email: str
    name: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TeamRow:
    submission_id: int
    ref: str
    title: str
    area: str
    screening_state: str
    needs: tuple[str, ...]
    members: tuple[Member, ...]
    missing: tuple[str, ...]
    flags: int  # conflict flags on the submission that still block someone

    @property
    def ready(self) -> bool:
        return self.screening_state == ScreeningState.COMPLETE

    @property
    def covered(self) -> bool:
        return bool(self.members) and not self.missing


@dataclass(frozen=True, slots=True)
class ReviewerLoad:
    person_id: int
    email: str
    name: str
    tags: tuple[str, ...]
    load: int


@dataclass(frozen=True)
class AssignmentOverview:
    round_ref: str
    team_size: int
    needs: tuple[tuple[str, str], ...]  # (tag as written in the criteria, its label)
    rows: tuple[TeamRow, ...]
    reviewers: tuple[ReviewerLoad, ...]


def _people(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    return {
        pid: (email, name)
        for pid, email, name in session.execute(
            select(Person.id, Person.email, Person.name).where(Person.id.in_(ids))
        )
    }


ROWS_PER_STEP = 2_000
"""Submissions read between two progress calls, where a Cancel can stop the read."""


def assignment_overview(
    session: Session, round_id: int, progress: Progress = no_progress
) -> AssignmentOverview:
    """The round's teams and loads; `progress` may raise Cancelled between steps (a read,
    so stopping leaves nothing behind)."""
    round_ = session.get_one(Round, round_id)
    total = (
        session.scalar(
            select(func.count()).select_from(Submission).where(Submission.round_id == round_id)
        )
        or 0
    )
    progress(0, total, f"Reading the teams of {round_.ref}")
    spec = criteria_of(session, round_)
    tags = reviewer_tags(session)
    teams = active_teams(session, round_id)
    people = _people(session, set(tags) | {p for team in teams.values() for p in team})
    loads = Counter(p for team in teams.values() for p in team)
    # Counted in SQL: a big round holds hundreds of thousands of flags, and fetching each
    # held the worker's GIL long enough to stall the window.
    blocking = dict(
        session.execute(
            select(ConflictFlag.submission_id, func.count())
            .where(ConflictFlag.round_id == round_id, ConflictFlag.status.in_(BLOCKING))
            .group_by(ConflictFlag.submission_id)
        ).all()
    )
    progress(0, total, f"Reading the {total:,} submissions of {round_.ref}")
    rows: list[TeamRow] = []
    for sid, ref, title, area, state in session.execute(
        select(
            Submission.id,
            Submission.ref,
            Submission.title,
            Submission.area,
            Submission.screening_state,
        )
        .where(Submission.round_id == round_id)
        .order_by(Submission.ref)
    ):
        needs = needs_of(spec.expertise, area)
        members = tuple(
            Member(p, *people[p], tuple(sorted(tags.get(p, ())))) for p in teams.get(sid, ())
        )
        held = set().union(*(m.tags for m in members)) if members else set()
        rows.append(
            TeamRow(
                sid,
                ref,
                title,
                area,
                state,
                tuple(sorted(needs)),
                members,
                tuple(sorted(needs - held)),
                blocking.get(sid, 0),
            )
        )
        if len(rows) % ROWS_PER_STEP == 0:
            progress(len(rows), total, f"Read {len(rows):,} of {total:,} submissions")
    reviewers = sorted(
        (ReviewerLoad(p, *people[p], tuple(sorted(t)), loads.get(p, 0)) for p, t in tags.items()),
        key=lambda r: (-r.load, r.name.casefold()),
    )
    return AssignmentOverview(
        round_.ref,
        spec.team_size,
        tuple((n.tag, n.label) for n in spec.expertise),
        tuple(rows),
        tuple(reviewers),
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A reviewer who might join a team: what they would add, and what would refuse them."""

    person_id: int
    email: str
    name: str
    tags: tuple[str, ...]
    load: int
    covers: tuple[str, ...]  # the team's missing tags they hold
    conflict: str  # the blocking rules on record for them here, or ""


def candidates_for(session: Session, round_id: int, submission_id: int) -> list[Candidate]:
    """Every peer reviewer not on the team, most useful first: not conflicted, covering
    most of what is missing, least loaded. Conflicts are those on record; assigning runs
    the rules again and explains any refusal."""
    round_ = session.get_one(Round, round_id)
    spec = criteria_of(session, round_)
    submission = session.get_one(Submission, submission_id)
    tags = reviewer_tags(session)
    teams = active_teams(session, round_id)
    team = teams.get(submission_id, [])
    loads = Counter(p for members in teams.values() for p in members)
    held = set().union(*(tags.get(p, set()) for p in team)) if team else set()
    missing = needs_of(spec.expertise, submission.area) - held
    rules: dict[int, list[str]] = defaultdict(list)
    for pid, rule in session.execute(
        select(ConflictFlag.person_id, ConflictFlag.rule).where(
            ConflictFlag.submission_id == submission_id, ConflictFlag.status.in_(BLOCKING)
        )
    ):
        rules[pid].append(RULES[rule].label)
    people = _people(session, set(tags))
    found = [
        Candidate(
            p,
            *people[p],
            tuple(sorted(t)),
            loads.get(p, 0),
            tuple(sorted(missing & t)),
            ", ".join(sorted(rules.get(p, ()))),
        )
        for p, t in tags.items()
        if p not in team
    ]
    found.sort(key=lambda c: (bool(c.conflict), -len(c.covers), c.load, c.name.casefold()))
    return found
