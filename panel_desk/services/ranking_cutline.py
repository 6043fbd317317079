"""Where a competitive round's cut-line falls: the round's places, or its budget.

With places, the line falls after that many ranked submissions. With a budget and no
places, it falls before the first submission, in rank order, whose requested support
(its `support_requested` template field) no longer fits; each alternative method draws
its own budget line in its own order. A line the chair moved (with a rationale) holds a
number of places whatever the basis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.store.models import Round, Submission, TemplateField

COST_FIELD = "support_requested"


@dataclass(frozen=True)
class CutLine:
    places: int | None  # how many are above the line (None: no line)
    basis: str  # "places" | "budget" | ""
    official: int | None  # where the round's places or budget put it
    moved: bool
    rationale: str = ""
    moved_by: str = ""
    budget: Decimal | None = None
    note: str = ""


def requested_support(session: Session, round_id: int) -> dict[int, Decimal]:
    """Each submission's requested support, where its template states one."""
    found: dict[int, Decimal] = {}
    for sid, text in session.execute(
        select(TemplateField.submission_id, TemplateField.value)
        .join(Submission, Submission.id == TemplateField.submission_id)
        .where(Submission.round_id == round_id, TemplateField.key == COST_FIELD)
    ):
        try:
            amount = Decimal(text.replace(",", "").replace("£", "").strip())
        except InvalidOperation:
            continue
        if amount.is_finite() and amount >= 0:
            found[sid] = amount
    return found


def by_budget(ordered: Sequence[int], costs: dict[int, Decimal], budget: Decimal) -> int:
    """How many, in this order, the budget covers (the line falls before the first that
    no longer fits)."""
    spent = Decimal(0)
    for n, sid in enumerate(ordered):
        spent += costs[sid]
        if spent > budget:
            return n
    return len(ordered)


def cutline_of(round_: Round, eligible: Sequence[int], costs: dict[int, Decimal]) -> CutLine:
    official: int | None = None
    basis, note = "", ""
    if round_.places is not None:
        official, basis = min(round_.places, len(eligible)), "places"
    elif round_.budget is not None:
        if all(sid in costs for sid in eligible):
            official, basis = by_budget(eligible, costs, round_.budget), "budget"
        else:
            note = (
                f"the round has a budget, but not every ranked submission states its "
                f"{COST_FIELD}: no cut-line can be drawn from the budget"
            )
    else:
        note = "the round states neither places nor a budget: no cut-line"
    if round_.cutline_places is not None:
        return CutLine(
            min(round_.cutline_places, len(eligible)),
            basis or "places",
            official,
            True,
            round_.cutline_rationale,
            round_.cutline_moved_by,
            round_.budget,
            note,
        )
    return CutLine(official, basis, official, False, budget=round_.budget, note=note)


def above(ordered: Sequence[int], line: CutLine, costs: dict[int, Decimal]) -> dict[int, bool]:
    """Which of `ordered` fall above the line. A budget line (not moved by the chair)
    is drawn anew for each order; otherwise the same number of places."""
    if line.places is None:
        return {}
    count = line.places
    if line.basis == "budget" and not line.moved and line.budget is not None:
        count = by_budget(ordered, costs, line.budget)
    return {sid: n < count for n, sid in enumerate(ordered)}
