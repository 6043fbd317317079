"""Changing teams one reviewer (or one batch) at a time: the GUI's changes by hand and
their undo and redo, and `assign --submission … --reviewer …`. Every addition goes through
`record_assignments` after the conflict rules have run again for the people concerned."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.assignment import record_assignments
from panel_desk.services.conflict_declarations import person_in_round
from panel_desk.services.conflicts import check_pair, detect_conflicts, refusal
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    Person,
    Round,
    ScreeningState,
    Submission,
)


def assign_reviewer(
    session: Session, round_ref: str, submission_ref: str, person_email: str, actor: str
) -> None:
    """Put one reviewer on one submission, after checking the conflict rules for them now."""
    round_, person, submission = person_in_round(session, round_ref, person_email, submission_ref)
    if submission.screening_state != ScreeningState.COMPLETE:
        state = ScreeningState(submission.screening_state).label
        raise BadInput("--submission", f"{submission.ref} is not through screening ({state})")
    flags = check_pair(session, round_, person.id, submission.id, actor)
    if flags:
        raise refusal(person.email, submission.ref, flags)
    if record_assignments(session, round_, [(submission.id, person.id)], actor):
        audit.record(
            session,
            actor,
            "assignment.made",
            "submission",
            f"{round_.ref}/{submission.ref}",
            {"reviewer": person.email, "how": "by hand"},
        )


def withdraw_reviewer(
    session: Session,
    round_ref: str,
    submission_ref: str,
    person_email: str,
    actor: str,
    reason: str = "by hand",
) -> bool:
    """Take a reviewer off a submission; False when they were not on it."""
    round_, person, submission = person_in_round(session, round_ref, person_email, submission_ref)
    changed = session.execute(
        update(Assignment)
        .where(
            Assignment.submission_id == submission.id,
            Assignment.person_id == person.id,
            Assignment.state == AssignmentState.ACTIVE,
        )
        .values(state=AssignmentState.WITHDRAWN.value)
    ).rowcount
    if changed:
        audit.record(
            session,
            actor,
            "assignment.withdrawn",
            "submission",
            f"{round_.ref}/{submission.ref}",
            {"reviewer": person.email, "reason": reason},
        )
    return bool(changed)


def _pairs_by_ref(
    session: Session, round_: Round, pairs: list[tuple[str, str]]
) -> list[tuple[int, int]]:
    sids = dict(
        session.execute(
            select(Submission.ref, Submission.id).where(Submission.round_id == round_.id)
        ).all()
    )
    pids = dict(session.execute(select(Person.email, Person.id)).all())
    try:
        return [(sids[ref], pids[email]) for ref, email in pairs]
    except KeyError as missing:
        raise BadInput("assignment", f"{missing.args[0]} is no longer in {round_.ref}") from None


def withdraw_many(
    session: Session, round_ref: str, pairs: list[tuple[str, str]], actor: str, reason: str
) -> int:
    """Withdraw (submission ref, reviewer e-mail) pairs at once, e.g. to undo `assign_round`."""
    round_ = round_by_ref(session, round_ref)
    ids = _pairs_by_ref(session, round_, pairs)
    wanted = set(ids)
    active = [
        aid
        for aid, sid, pid in session.execute(
            select(Assignment.id, Assignment.submission_id, Assignment.person_id).where(
                Assignment.round_id == round_.id, Assignment.state == AssignmentState.ACTIVE
            )
        )
        if (sid, pid) in wanted
    ]
    for start in range(0, len(active), 10_000):
        session.execute(
            update(Assignment)
            .where(Assignment.id.in_(active[start : start + 10_000]))
            .values(state=AssignmentState.WITHDRAWN.value)
        )
    if active:
        audit.record(
            session,
            actor,
            "assignments.withdrawn",
            "round",
            round_.ref,
            {"withdrawn": len(active), "reason": reason},
        )
    return len(active)


def assign_many(
    session: Session, round_ref: str, pairs: list[tuple[str, str]], actor: str, reason: str
) -> int:
    """Make (submission ref, reviewer e-mail) pairs active again, e.g. to redo `assign_round`:
    the conflict rules run first, and any pair they now block refuses the whole lot."""
    detect_conflicts(session, round_ref, actor)
    round_ = round_by_ref(session, round_ref)
    made = record_assignments(session, round_, _pairs_by_ref(session, round_, pairs), actor)
    if made:
        audit.record(
            session,
            actor,
            "assignments.made",
            "round",
            round_.ref,
            {"made": len(made), "reason": reason},
        )
    return len(made)
