"""Rounds (calls): opening one at a stage with its criteria set, and finding them again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput, NotFound
from panel_desk.services import audit
from panel_desk.services.criteria import (
    CriteriaSpec,
    load_criteria_file,
    shipped_criteria,
    spec_of,
    store_criteria_set,
)
from panel_desk.services.round_rules import SHARED_MAIL_DOMAINS as SHARED_MAIL_DOMAINS
from panel_desk.services.round_rules import RoundRules
from panel_desk.store.models import (
    CriteriaSet,
    Round,
    RoundState,
    ScreeningState,
    Stage,
    Submission,
)

REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
MAX_PLACES = 10_000
"""More places than any call offers: a larger number is a typing slip (and overflows SQLite)."""
MAX_BUDGET = Decimal(10) ** 12
"""Round.budget is Numeric(14, 2): twelve digits before the point."""


def parse_stage(text: str, source: str = "--stage") -> Stage:
    normalised = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Stage(normalised)
    except ValueError:
        choices = ", ".join(s.value for s in Stage)
        raise BadInput(source, f"unknown stage {text!r} (one of {choices})") from None


def create_round(
    session: Session,
    *,
    stage: Stage,
    ref: str,
    title: str,
    opens_on: date | None = None,
    criteria_path: Path | None = None,
    review_deadline: date | None = None,
    places: int | None = None,
    budget: Decimal | None = None,
    rules: RoundRules | None = None,
    actor: str = audit.SYSTEM,
) -> Round:
    """Open a round at `stage`, snapshotting its criteria set (shipped, or `criteria_path`),
    with `rules` (look-back, shared mail domains, quorum; the shipped defaults when None)."""
    if not REF_PATTERN.match(ref):
        raise BadInput("--ref", f"{ref!r} is not a round reference (letters, digits, . _ -)")
    if not title.strip():
        raise BadInput("--title", "is empty")
    if session.scalar(select(Round.id).where(Round.ref == ref)) is not None:
        raise BadInput("--ref", f"a round {ref} already exists")
    if places is not None and not 1 <= places <= MAX_PLACES:
        raise BadInput("--places", f"must be from 1 to {MAX_PLACES}, got {places}")
    if budget is not None and not (budget.is_finite() and 0 <= budget < MAX_BUDGET):
        raise BadInput("--budget", f"must be an amount from 0 up to {MAX_BUDGET:,}, got {budget}")
    rules = (rules or RoundRules()).checked()
    spec = load_criteria_file(criteria_path) if criteria_path else shipped_criteria(stage)
    if spec.stage != stage:
        raise BadInput(str(criteria_path), f"is a criteria set for stage {spec.stage}, not {stage}")
    opens = opens_on or date.today()
    if review_deadline is not None and review_deadline < opens:
        raise BadInput("--review-deadline", "is before the round opens")
    criteria_set = store_criteria_set(session, spec)
    round_ = Round(
        ref=ref,
        stage=stage.value,
        title=title.strip(),
        state=RoundState.SCREENING.value,
        criteria_set=criteria_set,
        opens_on=opens,
        review_deadline=review_deadline,
        places=places,
        budget=budget,
        lookback_years=rules.lookback_years,
        signoff_quorum=rules.signoff_quorum,
        shared_mail_domains=list(rules.shared_mail_domains),
    )
    session.add(round_)
    session.flush()
    audit.record(
        session,
        actor,
        "round.created",
        "round",
        ref,
        {
            "stage": stage.value,
            "title": round_.title,
            "opens_on": opens.isoformat(),
            "criteria": {"file": criteria_set.source_name, "sha256": criteria_set.sha256},
            "places": places,
            "lookback_years": rules.lookback_years,
            "signoff_quorum": rules.signoff_quorum,
            "shared_mail_domains": list(rules.shared_mail_domains),
        },
    )
    return round_


def round_by_ref(session: Session, ref: str) -> Round:
    found = session.scalar(select(Round).where(Round.ref == ref))
    if found is None:
        known = session.scalars(select(Round.ref).order_by(Round.ref)).all()
        hint = f" (rounds here: {', '.join(known)})" if known else " (there are no rounds yet)"
        raise NotFound("--round", f"no round {ref}{hint}")
    return found


def criteria_of(session: Session, round_: Round) -> CriteriaSpec:
    criteria_set = session.get(CriteriaSet, round_.criteria_set_id)
    assert criteria_set is not None
    return spec_of(criteria_set)


@dataclass(frozen=True)
class RoundSummary:
    """A round as the rounds navigator lists it."""

    id: int
    ref: str
    title: str
    stage: str
    stage_label: str
    state: str
    opens_on: date
    review_deadline: date | None
    places: int | None
    competitive: bool
    criteria: str
    submissions: int
    complete: int
    gaps: int

    @property
    def state_label(self) -> str:
        return self.state.replace("_", " ")


def list_rounds(session: Session) -> list[RoundSummary]:
    counts = (
        select(
            Submission.round_id,
            func.count().label("total"),
            func.sum(
                case((Submission.screening_state == ScreeningState.COMPLETE, 1), else_=0)
            ).label("complete"),
            func.sum(
                case((Submission.screening_state == ScreeningState.GAPS_RETURNED, 1), else_=0)
            ).label("gaps"),
        )
        .group_by(Submission.round_id)
        .subquery()
    )
    rows = session.execute(
        select(Round, CriteriaSet.title, CriteriaSet.version, CriteriaSet.competitive, counts)
        .join(CriteriaSet, Round.criteria_set_id == CriteriaSet.id)
        .outerjoin(counts, counts.c.round_id == Round.id)
        .order_by(Round.opens_on, Round.ref)
    )
    return [
        RoundSummary(
            id=r.Round.id,
            ref=r.Round.ref,
            title=r.Round.title,
            stage=r.Round.stage,
            stage_label=Stage(r.Round.stage).label,
            state=r.Round.state,
            opens_on=r.Round.opens_on,
            review_deadline=r.Round.review_deadline,
            places=r.Round.places,
            competitive=r.competitive,
            criteria=f"{r.title} ({r.version})",
            submissions=r.total or 0,
            complete=r.complete or 0,
            gaps=r.gaps or 0,
        )
        for r in rows
    ]
