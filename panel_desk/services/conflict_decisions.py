"""The secretariat's decisions on conflict flags, always with a rationale.

A soft flag (same mail domain) may be cleared or managed by one member of the secretariat.
A hard flag can only be cleared, and only by two: the first records the clearance with a
rationale, a different member seconds it, and until then the flag still blocks. A
reviewer's own declaration stands. Reopening a decision makes the flag block again, and
withdraws the person from the submission if they were assigned. `revert` takes a
decision back (Edit ▸ Undo in the GUI) with a new, audited decision, from the state the
trail recorded before it.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.conflict_rules import OWN_DECLARATION
from panel_desk.services.conflicts import FlagView, flag_by_id, withdraw_blocked
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    AuditEvent,
    ConflictFlag,
    ConflictSeverity,
    ConflictStatus,
    Person,
    PersonRole,
    Role,
    Round,
)


class Decision(StrEnum):
    CLEAR = "clear"
    MANAGE = "manage"
    REOPEN = "reopen"


def _secretariat(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound("--as", f"{email} is not on the roster")
    is_secretariat = session.scalar(
        select(PersonRole.person_id).where(
            PersonRole.person_id == person.id, PersonRole.role == Role.SECRETARIAT
        )
    )
    if is_secretariat is None:
        raise BadInput("--as", f"{person.email} is not in the secretariat, who decide on conflicts")
    return person


def _flag(session: Session, flag_id: int, deciding: Person) -> ConflictFlag:
    flag = session.get(ConflictFlag, flag_id)
    if flag is None:
        raise NotFound("flag", f"no conflict flag {flag_id}")
    if flag.person_id == deciding.id:
        raise BadInput("--as", "nobody decides on a conflict of their own")
    return flag


def decide(
    session: Session, flag_id: int, decision: Decision | str, rationale: str, actor_email: str
) -> FlagView:
    """Clear or manage a flag with a rationale, or reopen it.

    Clearing a hard flag records the first of the two people it needs: the flag keeps
    blocking until someone else seconds it (`second`).
    """
    try:
        decision = Decision(decision)
    except ValueError:
        raise BadInput(
            "--decision", f"unknown decision {decision!r} (clear, manage or reopen)"
        ) from None
    person = _secretariat(session, actor_email)
    flag = _flag(session, flag_id, person)
    rationale = rationale.strip()
    if flag.rule == OWN_DECLARATION.key:
        raise BadInput("flag", "a reviewer's own declaration stands: it cannot be decided away")
    if decision != Decision.REOPEN and not rationale:
        raise BadInput("--rationale", "is empty: every decision on a conflict needs a rationale")
    hard = flag.severity == ConflictSeverity.HARD
    if hard and decision == Decision.MANAGE:
        raise BadInput(
            "--decision",
            "a hard conflict cannot be managed: it blocks assignment unless two people clear it",
        )
    was, before = flag.status, _state(session, flag)
    if decision == Decision.REOPEN:
        flag.status, flag.rationale = ConflictStatus.OPEN.value, ""
        flag.decided_by_id = flag.seconded_by_id = flag.decided_at = None
    else:
        flag.rationale = rationale
        flag.decided_by_id, flag.seconded_by_id, flag.decided_at = person.id, None, utcnow()
        if hard:
            flag.status = ConflictStatus.OPEN.value  # until a second person agrees
        else:
            cleared = decision == Decision.CLEAR
            flag.status = (ConflictStatus.CLEARED if cleared else ConflictStatus.MANAGED).value
    session.flush()
    view = flag_by_id(session, flag.id)
    audit.record(
        session,
        person.email,
        "conflict.decided",
        "conflict",
        _subject(session, view),
        {
            "decision": decision.value,
            "was": was,
            "now": view.status,
            "rationale": rationale,
            "awaiting_second": view.awaiting_second,
            "before": before,
            "after": _state(session, flag),
        },
    )
    if view.blocking:
        withdraw_blocked(
            session,
            session.get_one(Round, flag.round_id),
            person.email,
            (flag.person_id, flag.submission_id),
        )
    return view


def second(session: Session, flag_id: int, actor_email: str) -> FlagView:
    """The second person's agreement to clear a hard flag; only then does it stop blocking."""
    person = _secretariat(session, actor_email)
    flag = _flag(session, flag_id, person)
    if not (flag.status == ConflictStatus.OPEN and flag.decided_by_id is not None):
        raise BadInput("flag", f"flag {flag_id} has no clearance waiting for a second person")
    if flag.decided_by_id == person.id:
        raise BadInput(
            "--as", "the second person must be someone other than the one who proposed clearing"
        )
    before = _state(session, flag)
    flag.status, flag.seconded_by_id = ConflictStatus.CLEARED.value, person.id
    session.flush()
    view = flag_by_id(session, flag.id)
    audit.record(
        session,
        person.email,
        "conflict.seconded",
        "conflict",
        _subject(session, view),
        {
            "decided_by": view.decided_by,
            "rationale": view.rationale,
            "before": before,
            "after": _state(session, flag),
        },
    )
    return view


REVERTIBLE = ("conflict.decided", "conflict.seconded", "conflict.reverted")


def revert(session: Session, flag_id: int, actor_email: str) -> FlagView:
    """Take back my last decision on a flag (Edit ▸ Undo), or my last taking-back (Redo).

    Nothing is deleted: a new `conflict.reverted` event records the change. The flag goes
    back to the state the audit trail recorded before that decision, so an undo can only
    restore what really was (a hard flag's two-person clearance included), never invent
    one. Refused when the last decision on the flag was someone else's, or when the flag
    has changed since (a check of conflicts, another decision). A flag that blocks again
    withdraws the person from the submission, as a reopening does.
    """
    person = _secretariat(session, actor_email)
    flag = _flag(session, flag_id, person)
    subject = _subject(session, flag_by_id(session, flag.id))
    last = session.execute(
        select(AuditEvent.actor, AuditEvent.action, AuditEvent.payload)
        .where(
            AuditEvent.subject_type == "conflict",
            AuditEvent.subject_ref == subject,
            AuditEvent.action.in_(REVERTIBLE),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    payload = json.loads(last.payload) if last is not None else {}
    if last is None or "before" not in payload:
        raise BadInput("flag", f"flag {flag_id} has no decision on record that can be taken back")
    if last.actor != person.email:
        raise BadInput(
            "flag",
            f"the last decision on flag {flag_id} was {last.actor}'s: only they take it back",
        )
    now = _state(session, flag)
    if _comparable(now) != _comparable(payload["after"]):
        raise BadInput(
            "flag", f"flag {flag_id} has changed since that decision: it is {flag.status} now"
        )
    wanted = payload["before"]
    flag.status, flag.rationale = wanted["status"], wanted["rationale"]
    flag.decided_by_id = _person_id(session, wanted["decided_by"])
    flag.seconded_by_id = _person_id(session, wanted["seconded_by"])
    flag.decided_at = datetime.fromisoformat(wanted["decided_at"]) if wanted["decided_at"] else None
    session.flush()
    view = flag_by_id(session, flag.id)
    audit.record(
        session,
        person.email,
        "conflict.reverted",
        "conflict",
        subject,
        {"reverts": last.action, "before": now, "after": _state(session, flag)},
    )
    if view.blocking:
        withdraw_blocked(
            session,
            session.get_one(Round, flag.round_id),
            person.email,
            (flag.person_id, flag.submission_id),
        )
    return view


def _state(session: Session, flag: ConflictFlag) -> dict[str, Any]:
    """A flag's decision as the audit trail keeps it, people by e-mail."""
    ids = [i for i in (flag.decided_by_id, flag.seconded_by_id) if i is not None]
    emails = dict(session.execute(select(Person.id, Person.email).where(Person.id.in_(ids))).all())
    return {
        "status": flag.status,
        "rationale": flag.rationale,
        "decided_by": emails.get(flag.decided_by_id, ""),
        "seconded_by": emails.get(flag.seconded_by_id, ""),
        "decided_at": flag.decided_at.isoformat() if flag.decided_at else None,
    }


def _comparable(state: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(state[k]) for k in ("status", "rationale", "decided_by", "seconded_by"))


def _person_id(session: Session, email: str) -> int | None:
    if not email:
        return None
    found = session.scalar(select(Person.id).where(Person.email == email))
    if found is None:
        raise NotFound("flag", f"{email}, who decided on it, is no longer on the roster")
    return found


def _subject(session: Session, view: FlagView) -> str:
    round_ref = session.scalar(
        select(Round.ref)
        .join(ConflictFlag, ConflictFlag.round_id == Round.id)
        .where(ConflictFlag.id == view.id)
    )
    return f"{round_ref}/{view.submission_ref}/{view.person_email}/{view.rule}"
