"""The gate before sign-off: every divergent item needs a moderated value and a rationale.

`blockers` lists what stands in the way, from the divergence aggregates alone (no
reviewer's value is read), so a 20,000-submission round is judged in well under a
second; `require_moderation_complete` is what the step taking a round to sign-off calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services.divergence import divergence_by_submission, moderated_items
from panel_desk.services.rounds import round_by_ref
from panel_desk.store.models import Criterion, Submission


@dataclass(frozen=True)
class Blocker:
    submission_ref: str
    item_key: str
    label: str
    problem: str

    def __str__(self) -> str:
        return f"{self.submission_ref} · {self.label}: {self.problem}"

    def as_json(self) -> dict[str, Any]:
        return {
            "submission": self.submission_ref,
            "item": self.item_key,
            "label": self.label,
            "problem": self.problem,
        }


def blockers(session: Session, round_ref: str) -> list[Blocker]:
    """What stops the round going to sign-off: every divergent item without a moderated
    value and a rationale. From the divergence aggregates alone: no reviewer's value is
    read, so a 20,000-submission round is judged in well under a second."""
    round_ = round_by_ref(session, round_ref)
    found = divergence_by_submission(session, round_)
    moderated = moderated_items(session, round_.id)
    refs = dict(
        session.execute(
            select(Submission.id, Submission.ref).where(Submission.round_id == round_.id)
        ).all()
    )
    criteria = {
        key: (position, label)
        for key, position, label in session.execute(
            select(Criterion.key, Criterion.position, Criterion.label).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        )
    }
    last = (len(criteria), "Overall recommendation")
    listed: list[Blocker] = []
    for sid in sorted(found, key=lambda s: refs[s]):
        for key in sorted(found[sid].divergent, key=lambda k: criteria.get(k, last)[0]):
            value, rationale = moderated.get((sid, key), (None, ""))
            if value is not None and rationale.strip():
                continue
            problem = (
                "divergent, no moderated value and rationale yet"
                if value is None
                else "divergent, the moderated value has no rationale"
            )
            listed.append(Blocker(refs[sid], key, criteria.get(key, last)[1], problem))
    return listed


def require_moderation_complete(session: Session, round_ref: str) -> None:
    """BadInput listing the first blockers, for the step that takes a round to sign-off."""
    found = blockers(session, round_ref)
    if found:
        shown = "; ".join(str(b) for b in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        raise BadInput(
            round_ref,
            f"{len(found)} divergent item{'s' * (len(found) != 1)} still need a moderated "
            f"value and rationale: {shown}{more}",
        )
