"""Moderation: the chair's reasoned decisions on divergent items, and the moderated outcome.

Every divergent item (divergence.py) needs a moderated value on the item's own scale and a
rationale before the round can move on (`blockers` is the gate). The chair may also
moderate an item the reviewers agreed on; the same rules apply.

The overall recommendation is an item like the criteria (key `recommendation`), and the
moderated outcome follows from it: the chair's value where there is one, otherwise what
the reviewers unanimously recommended. Recording the outcome adds a new version of the
submission's Recommendation (the previous one stays, no longer current), with the
conditions and the feedback text the submitter will receive.

Who may moderate: a person with the moderator role who did not review the submission and
has no unresolved conflict of interest with it. Every saved decision writes an audit event
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.criteria import RECOMMENDATION_KEY, CriteriaSpec
from panel_desk.services.divergence import counting, divergence_by_submission
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    Assignment,
    ConflictFlag,
    ConflictStatus,
    Criterion,
    ModerationItem,
    Person,
    PersonRole,
    Recommendation,
    Review,
    Role,
    Round,
    Submission,
)

MAX_TEXT = 4000
UNRESOLVED_CONFLICT = (ConflictStatus.OPEN.value, ConflictStatus.DECLARED.value)


@dataclass(frozen=True)
class ItemDecision:
    """A moderated value and its rationale for one item (criterion key or `recommendation`)."""

    item_key: str
    value: str
    rationale: str


@dataclass(frozen=True)
class OutcomeDecision:
    """What goes with the moderated outcome: conditions (when the outcome carries them) and
    the feedback text for the submitter."""

    conditions: str
    feedback: str


@dataclass(frozen=True)
class Saved:
    submission_ref: str
    items: tuple[str, ...]  # item keys whose decision changed
    outcome: str | None  # the outcome now current, when a new version was recorded
    version: int | None

    def summary(self) -> str:
        parts = []
        if self.items:
            parts.append(f"{len(self.items)} moderated item{'s' * (len(self.items) != 1)}")
        if self.outcome is not None:
            parts.append(f"outcome “{self.outcome}” (version {self.version})")
        return f"{self.submission_ref}: " + (", ".join(parts) if parts else "nothing changed")


# --- who may moderate -------------------------------------------------------------------


def chair_for(session: Session, email: str, submission: Submission) -> Person:
    """The acting chair, refused when they may not moderate this submission."""
    person = person_by_email(session, email)
    roles = set(session.scalars(select(PersonRole.role).where(PersonRole.person_id == person.id)))
    if Role.MODERATOR not in roles:
        raise BadInput(
            "--as", f"{person.email} is not on the moderation panel (needs the moderator role)"
        )
    reviewed = session.scalar(
        select(Assignment.id).where(
            Assignment.submission_id == submission.id, Assignment.person_id == person.id
        )
    )
    if reviewed is not None:
        raise BadInput(
            "--as",
            f"{person.email} reviewed {submission.ref}; another chair must moderate it",
        )
    conflict = session.scalar(
        select(ConflictFlag.rule).where(
            ConflictFlag.submission_id == submission.id,
            ConflictFlag.person_id == person.id,
            ConflictFlag.status.in_(UNRESOLVED_CONFLICT),
        )
    )
    if conflict is not None:
        raise BadInput(
            "--as",
            f"{person.email} has an unresolved conflict of interest with {submission.ref} "
            f"({conflict}); another chair must moderate it",
        )
    return person


def submission_in_round(session: Session, round_: Round, ref: str) -> Submission:
    found = session.scalar(
        select(Submission).where(Submission.round_id == round_.id, Submission.ref == ref)
    )
    if found is None:
        raise NotFound("--submission", f"no submission {ref} in {round_.ref}")
    return found


# --- validating values ------------------------------------------------------------------


def normalise_value(spec: CriteriaSpec, item_key: str, text: str) -> str:
    """`text` as the stored value on the item's scale; BadInput names what the scale allows."""
    given = text.strip()
    if item_key == RECOMMENDATION_KEY:
        options = spec.recommendation.options
    else:
        try:
            scale = spec.criterion(item_key).scale
        except KeyError:
            keys = ", ".join(c.key for c in spec.criteria)
            raise BadInput(
                "--criterion",
                f"{item_key!r} is not a criterion of this round (one of {keys}, "
                f"or {RECOMMENDATION_KEY})",
            ) from None
        if scale.numeric:
            if given not in scale.values():
                try:  # "4.0" is 4
                    whole = float(given)
                    given = str(int(whole)) if whole.is_integer() else given
                except (ValueError, OverflowError):
                    pass
            if given not in scale.values():
                raise BadInput(
                    "--value",
                    f"{text.strip()!r} is not on the scale of {item_key} "
                    f"(a whole number from {scale.min} to {scale.max})",
                )
            return given
        options = scale.options
    for option in options:
        if option.casefold() == given.casefold():
            return option
    raise BadInput(
        "--value",
        f"{given!r} is not on the scale of {item_key} (one of {', '.join(options)})",
    )


def _rationale(text: str, item_key: str) -> str:
    rationale = text.strip()
    if not rationale:
        raise BadInput(
            "--rationale", f"a rationale is required for the moderated value of {item_key}"
        )
    if len(rationale) > MAX_TEXT:
        raise BadInput("--rationale", f"is longer than {MAX_TEXT} characters")
    return rationale


# --- recording --------------------------------------------------------------------------


def _reviewers_recommendations(session: Session, submission: Submission) -> list[str]:
    return [
        r
        for r in session.scalars(
            select(Review.recommendation)
            .select_from(Assignment)
            .join(Review, Review.assignment_id == Assignment.id)
            .where(*counting(submission.round_id, submission.id))
        )
        if r
    ]


def effective_outcome(
    session: Session, submission: Submission, moderated: str | None
) -> str | None:
    """The chair's recommendation, else the reviewers' when they all agree, else None."""
    if moderated is not None:
        return moderated
    given = set(_reviewers_recommendations(session, submission))
    return given.pop() if len(given) == 1 else None


def current_recommendation(session: Session, submission_id: int) -> Recommendation | None:
    return session.scalar(
        select(Recommendation).where(
            Recommendation.submission_id == submission_id, Recommendation.current.is_(True)
        )
    )


def save_moderation(
    session: Session,
    submission_id: int,
    chair_email: str,
    items: Sequence[ItemDecision] = (),
    outcome: OutcomeDecision | None = None,
) -> Saved:
    """Record the chair's decisions on one submission, all or nothing.

    Every item needs a value on its scale and a rationale. `outcome` records a new version
    of the moderated recommendation; a changed `recommendation` item also does, keeping the
    current conditions and feedback.
    """
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("submission", f"no submission {submission_id}")
    round_ = session.get_one(Round, submission.round_id)
    spec = criteria_of(session, round_)
    chair = chair_for(session, chair_email, submission)
    decisions: dict[str, tuple[str, str]] = {}
    for item in items:
        value = normalise_value(spec, item.item_key, item.value)
        decisions[item.item_key] = (value, _rationale(item.rationale, item.item_key))

    existing = {
        m.item_key: m
        for m in session.scalars(
            select(ModerationItem).where(ModerationItem.submission_id == submission.id)
        )
    }
    found = divergence_by_submission(session, round_, submission.id).get(submission.id)
    divergent = set(found.divergent if found else ())
    criterion_ids = dict(
        session.execute(
            select(Criterion.key, Criterion.id).where(
                Criterion.criteria_set_id == round_.criteria_set_id
            )
        ).all()
    )
    now = utcnow()
    changes: list[audit.Change] = []
    changed: list[str] = []
    for key, (value, rationale) in decisions.items():
        row = existing.get(key)
        if row is not None and (row.moderated_value, row.rationale) == (value, rationale):
            continue
        previous = (row.moderated_value, row.rationale) if row is not None else None
        if row is None:
            row = ModerationItem(
                submission_id=submission.id, item_key=key, criterion_id=criterion_ids.get(key)
            )
            session.add(row)
            existing[key] = row
        row.moderated_value, row.rationale = value, rationale
        row.chair_id, row.decided_at = chair.id, now
        changed.append(key)
        changes.append(
            audit.Change(
                chair.email,
                "moderation.item_recorded",
                "submission",
                submission.ref,
                {
                    "round": round_.ref,
                    "item": key,
                    "value": value,
                    "rationale": rationale,
                    "divergent": key in divergent,
                    "previous": {"value": previous[0], "rationale": previous[1]}
                    if previous
                    else None,
                },
            )
        )
    session.flush()

    current = current_recommendation(session, submission.id)
    recommendation_changed = RECOMMENDATION_KEY in changed
    version = None
    outcome_text = None
    if outcome is not None or (recommendation_changed and current is not None):
        moderated = existing.get(RECOMMENDATION_KEY)
        outcome_text = effective_outcome(
            session, submission, moderated.moderated_value if moderated else None
        )
        if outcome_text is None:
            raise BadInput(
                "outcome",
                f"the reviewers of {submission.ref} disagree on the overall recommendation: "
                "record a moderated recommendation with its rationale first",
            )
        conditions = outcome.conditions if outcome else current.conditions if current else ""
        feedback = outcome.feedback if outcome else current.feedback if current else ""
        conditions, feedback = _check_outcome(spec, outcome_text, conditions, feedback, outcome)
        rationale = moderated.rationale if moderated else ""
        same = current is not None and (
            current.outcome,
            current.conditions,
            current.feedback,
            current.rationale,
        ) == (outcome_text, conditions, feedback, rationale)
        if same:
            outcome_text = None
        else:
            version = (current.version + 1) if current is not None else 1
            session.execute(
                update(Recommendation)
                .where(Recommendation.submission_id == submission.id)
                .values(current=False)
            )
            session.add(
                Recommendation(
                    submission_id=submission.id,
                    version=version,
                    outcome=outcome_text,
                    conditions=conditions,
                    feedback=feedback,
                    rationale=rationale,
                    current=True,
                    decided_by_id=chair.id,
                    decided_at=now,
                )
            )
            changes.append(
                audit.Change(
                    chair.email,
                    "moderation.outcome_recorded",
                    "submission",
                    submission.ref,
                    {
                        "round": round_.ref,
                        "version": version,
                        "outcome": outcome_text,
                        "conditions": conditions,
                        "feedback": feedback,
                        "rationale": rationale,
                    },
                )
            )
    session.flush()
    audit.record_many(session, changes)
    return Saved(submission.ref, tuple(changed), outcome_text, version)


def _check_outcome(
    spec: CriteriaSpec,
    outcome: str,
    conditions: str,
    feedback: str,
    given: OutcomeDecision | None,
) -> tuple[str, str]:
    conditions, feedback = conditions.strip(), feedback.strip()
    takes_conditions = outcome in spec.recommendation.with_conditions
    if takes_conditions and not conditions:
        raise BadInput("--conditions", f"the outcome “{outcome}” needs its conditions stated")
    if not takes_conditions and conditions:
        if given is not None:
            raise BadInput("--conditions", f"the outcome “{outcome}” carries no conditions")
        conditions = ""  # the outcome changed to one without conditions: they lapse
    if given is not None and not feedback:
        raise BadInput("--feedback", "the feedback text for the submitter is required")
    for name, text in (("--conditions", conditions), ("--feedback", feedback)):
        if len(text) > MAX_TEXT:
            raise BadInput(name, f"is longer than {MAX_TEXT} characters")
    return conditions, feedback


def moderate_item(
    session: Session,
    round_ref: str,
    submission_ref: str,
    item_key: str,
    value: str,
    rationale: str,
    chair_email: str,
) -> Saved:
    """`panel-desk moderate`: one item, by references."""
    round_ = round_by_ref(session, round_ref)
    submission = submission_in_round(session, round_, submission_ref)
    return save_moderation(
        session, submission.id, chair_email, [ItemDecision(item_key, value, rationale)]
    )


def record_outcome(
    session: Session,
    round_ref: str,
    submission_ref: str,
    conditions: str,
    feedback: str,
    chair_email: str,
) -> Saved:
    """`panel-desk outcome`: the moderated outcome's conditions and feedback, by references."""
    round_ = round_by_ref(session, round_ref)
    submission = submission_in_round(session, round_, submission_ref)
    return save_moderation(
        session, submission.id, chair_email, outcome=OutcomeDecision(conditions, feedback)
    )
