"""An EAG member's conflicts of interest with the submissions of a round they sign off.

The conflict rules (conflict_rules.py) are checked for the people who review and moderate;
an EAG member is checked here, when they come to sign, by the same rules and evidence:
affiliation within the look-back, being named, a declared interest, the same mail domain.
A flag already on record for them (they may also review) counts as decided there: a
cleared or managed flag no longer conflicts, an open or declared one does. Having reviewed
or moderated a submission is a conflict too: sign-off is oversight of that work, and
nobody oversees their own.

Nothing is stored here: the member's signature records the submissions they abstain on,
and the audit event records why (services/signoff.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from panel_desk.services.conflict_flags import BLOCKING
from panel_desk.services.conflict_rules import (
    RULES,
    PersonFacts,
    RoundFacts,
    explain,
    find_conflicts,
    load_facts,
)
from panel_desk.store.models import (
    Affiliation,
    Assignment,
    ConflictFlag,
    DeclaredInterest,
    ModerationItem,
    Person,
    Recommendation,
    Round,
    Submission,
)

TOOK_PART_REVIEW = "reviewed this submission"
TOOK_PART_MODERATION = "moderated this submission"


@dataclass(frozen=True, slots=True)
class SignerConflict:
    """Why a member abstains on one submission."""

    submission_id: int
    submission_ref: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.submission_ref}: {'; '.join(self.reasons)}"


def _facts_for(session: Session, round_: Round, person: Person) -> RoundFacts:
    facts = load_facts(session, round_, person_ids=[])
    own = PersonFacts(person.id, person.email)
    for org, starts, ends in session.execute(
        select(Affiliation.organisation_id, Affiliation.starts_on, Affiliation.ends_on).where(
            Affiliation.person_id == person.id
        )
    ):
        own.ties.append((org, starts, ends))
    for org, note in session.execute(
        select(DeclaredInterest.organisation_id, DeclaredInterest.note).where(
            DeclaredInterest.person_id == person.id
        )
    ):
        own.interests.append((org, note))
    facts.people = {person.id: own}
    return facts


def signer_conflicts(session: Session, round_: Round, person: Person) -> list[SignerConflict]:
    """Every submission of the round `person` must abstain on, with the reasons."""
    reasons: dict[int, list[str]] = defaultdict(list)
    recorded: dict[tuple[int, str], str] = {
        (sid, rule): status
        for sid, rule, status in session.execute(
            select(ConflictFlag.submission_id, ConflictFlag.rule, ConflictFlag.status).where(
                ConflictFlag.round_id == round_.id, ConflictFlag.person_id == person.id
            )
        )
    }
    for (_, sid, rule), evidence in find_conflicts(_facts_for(session, round_, person)).items():
        if (sid, rule) in recorded:
            continue  # decided on the record: judged below
        label = RULES[rule].label.lower()
        reasons[sid].append(f"{label} ({RULES[rule].severity}): {explain(rule, evidence)}")
    flags = session.execute(
        select(ConflictFlag.submission_id, ConflictFlag.rule, ConflictFlag.evidence).where(
            ConflictFlag.round_id == round_.id,
            ConflictFlag.person_id == person.id,
            ConflictFlag.status.in_(BLOCKING),
        )
    )
    for sid, rule, evidence in flags:
        reasons[sid].append(f"{RULES[rule].label.lower()} (on record): {explain(rule, evidence)}")
    for (sid,) in session.execute(
        select(Assignment.submission_id).where(
            Assignment.round_id == round_.id, Assignment.person_id == person.id
        )
    ):
        reasons[sid].append(TOOK_PART_REVIEW)
    moderated = select(ModerationItem.submission_id).where(ModerationItem.chair_id == person.id)
    decided = select(Recommendation.submission_id).where(Recommendation.decided_by_id == person.id)
    for (sid,) in session.execute(
        select(Submission.id).where(
            Submission.round_id == round_.id,
            or_(Submission.id.in_(moderated), Submission.id.in_(decided)),
        )
    ):
        if TOOK_PART_MODERATION not in reasons[sid]:
            reasons[sid].append(TOOK_PART_MODERATION)
    if not reasons:
        return []
    refs = dict(
        session.execute(
            select(Submission.id, Submission.ref).where(Submission.id.in_(list(reasons)))
        ).all()
    )
    return sorted(
        (SignerConflict(sid, refs[sid], tuple(found)) for sid, found in reasons.items()),
        key=lambda c: c.submission_ref,
    )
