"""Evaluation of the value and impact of credentials: the figures behind the charts.

"Data on delivery of the credential [...] captured in the Centre's evaluation of the value
and impact of credentials." Everything here is read from what the process already keeps:
providers' annual returns (take-up, progression, completions by credential, provider and
year), lineage and signed-off decisions (time from the call a proposal answered to its
credential's endorsement), signed-off outcomes at every stage, and annotations. Only
signed-off decisions count, as for the registers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.services import annotations, annual_returns
from panel_desk.services.registers import build_registers
from panel_desk.services.signed_decisions import signed_rounds
from panel_desk.store.models import Round, Stage, Submission


@dataclass(frozen=True, slots=True)
class Figures:
    """Take-up, progression and completions summed over a group of returns."""

    label: str
    take_up: int
    progressing: int
    completed: int

    @property
    def progression_rate(self) -> float:
        return self.progressing / self.take_up if self.take_up else 0.0


@dataclass(frozen=True, slots=True)
class TimeToEndorsement:
    credential: str
    proposal: str  # ROUND/REF
    call_opened: date
    endorsed_on: date

    @property
    def days(self) -> int:
        return (self.endorsed_on - self.call_opened).days


@dataclass(frozen=True, slots=True)
class StageOutcomes:
    stage: str  # its label
    successful: int
    unsuccessful: int
    outcomes: tuple[tuple[str, int], ...]  # each outcome and how many


@dataclass(frozen=True)
class Evaluation:
    as_of: date
    credentials: int  # endorsed and in force
    approvals: int
    annotations: int
    by_credential: tuple[Figures, ...]
    by_provider: tuple[Figures, ...]
    by_year: tuple[Figures, ...]
    time_to_endorsement: tuple[TimeToEndorsement, ...]
    outcomes: tuple[StageOutcomes, ...]

    @property
    def empty(self) -> bool:
        return not (self.by_credential or self.time_to_endorsement or self.outcomes)


def _sum(groups: dict[str, list[annual_returns.ReturnView]]) -> tuple[Figures, ...]:
    return tuple(
        Figures(
            label,
            sum(r.take_up for r in found),
            sum(r.progressing for r in found),
            sum(r.completed for r in found),
        )
        for label, found in groups.items()
    )


def evaluate(session: Session, as_of: date | None = None) -> Evaluation:
    registers = build_registers(session, as_of)
    returns = annual_returns.returns(session)
    by_credential: dict[str, list[annual_returns.ReturnView]] = defaultdict(list)
    by_provider: dict[str, list[annual_returns.ReturnView]] = defaultdict(list)
    by_year: dict[str, list[annual_returns.ReturnView]] = defaultdict(list)
    for r in returns:
        by_credential[r.credential].append(r)
        by_provider[r.provider].append(r)
        by_year[r.year_label].append(r)
    proposals = {c.proposal: c for c in registers.credentials if c.proposal}
    opened = {
        f"{round_ref}/{ref}": opens
        for round_ref, ref, opens in session.execute(
            select(Round.ref, Submission.ref, Round.opens_on).join(
                Submission, Submission.round_id == Round.id
            )
        )
        if f"{round_ref}/{ref}" in proposals
    }
    times = tuple(
        sorted(
            (
                TimeToEndorsement(c.title, ref, opened[ref], c.endorsed_on)
                for ref, c in proposals.items()
                if ref in opened
            ),
            key=lambda t: t.days,
        )
    )
    counts: dict[str, dict[tuple[str, bool], int]] = {s.label: defaultdict(int) for s in Stage}
    for signed in signed_rounds(session):
        for d in signed.decisions:
            counts[Stage(d.stage).label][(d.outcome, d.successful)] += 1
    outcomes = tuple(
        StageOutcomes(
            label,
            sum(n for (_, ok), n in found.items() if ok),
            sum(n for (_, ok), n in found.items() if not ok),
            tuple(sorted(((o, n) for (o, _), n in found.items()), key=lambda x: -x[1])),
        )
        for label, found in counts.items()
    )
    return Evaluation(
        registers.as_of,
        len(registers.listed_credentials()),
        len(registers.listed_approvals()),
        len(annotations.annotations(session)),
        _sum(dict(sorted(by_credential.items()))),
        _sum(dict(sorted(by_provider.items()))),
        _sum(dict(sorted(by_year.items()))),
        times,
        outcomes,
    )
