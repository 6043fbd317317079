"""Helpers for the sign-off, pack and appeal tests: who is who in the demo's signed round,
and changing a decision the way the moderation panel does."""

from __future__ import annotations

from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import roster
from panel_desk.services.database import Database
from panel_desk.services.demo import SIGNED
from panel_desk.services.moderation import OutcomeDecision, save_moderation
from panel_desk.store.models import Round, Submission

ROUND = SIGNED


def people_with(db: Database, role: str) -> list[str]:
    return [p.email for p in db.read(roster.list_people) if role in p.roles]


def submission_id(db: Database, ref: str, round_ref: str = ROUND) -> int:
    return db.read(
        lambda s: s.scalar(
            select(Submission.id)
            .join(Round, Round.id == Submission.round_id)
            .where(Round.ref == round_ref, Submission.ref == ref)
        )
    )


def change_feedback(db: Database, ref: str, feedback: str, round_ref: str = ROUND) -> str:
    """A chair who may records new feedback on `ref` (a new recommendation version);
    returns the chair's e-mail."""
    sid = submission_id(db, ref, round_ref)
    for chair in people_with(db, "moderator"):
        try:
            db.run(save_moderation, sid, chair, outcome=OutcomeDecision("", feedback))
        except BadInput as exc:
            if exc.source == "--as":
                continue
            raise
        return chair
    raise AssertionError(f"no chair may moderate {ref}")
