"""What reviewers say about conflicts: their own declaration (rule 5, when opening a
packet) and their "no conflict" certificate when they submit a review.

Both work on whichever database holds the round: the hub, or a reviewer's own database set
up from a packet. The review code calls them inside its own transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.conflict_flags import FlagView, flag_by_id
from panel_desk.services.conflict_rules import OWN_DECLARATION
from panel_desk.services.conflicts import check_pair, withdraw_blocked
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
