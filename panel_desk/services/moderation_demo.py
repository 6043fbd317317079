"""The demo's moderation chair at work: a few divergent submissions already moderated.

So the first look at the Moderation page shows both states side by side: items still
to moderate (red) and items with a moderated value and rationale (green), with an
outcome and its feedback recorded. Decisions go through `save_moderation`, so they obey
the same rules and leave the same audit events as a real chair's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from statistics import median

from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services.divergence import NUMERIC
from panel_desk.services.divergence_report import DivergentItem, round_divergence
from panel_desk.services.moderation import ItemDecision, OutcomeDecision, save_moderation

RATIONALES = (
    "Read together, the reviews support the middle view: {lowest} overlooked the evidence "
    "in the appendix, which the other reviewers weighed.",
    "The panel discussed the outlying score; {lowest}'s concern is noted in the feedback "
    "but does not outweigh the national workforce data.",
)
FEEDBACK = (
    "The panel thanks the development group. The moderated scores reflect a clear need at "
    "scale; the feedback notes where the evidence could be stronger."
)


def _decision(item: DivergentItem, n: int) -> ItemDecision:
    values = [v.value for v in item.values]
    if item.kind == NUMERIC:
        value = str(round(median(float(v) for v in values)))
    else:
        value = Counter(values).most_common(1)[0][0]
    lowest = min(item.values, key=lambda v: (v.points or 0, v.reviewer)).reviewer
    return ItemDecision(item.item_key, value, RATIONALES[n % 2].format(lowest=lowest))


def moderate_some(session: Session, round_ref: str, chairs: Sequence[str]) -> int:
    """Of the submissions with the most divergent items, moderate one whole (with its
    outcome and feedback) and half of another's items, by whichever chair may; returns
    how many items were moderated."""
    report = round_divergence(session, round_ref)
    by_submission: dict[int, list[DivergentItem]] = {}
    for item in report.items:
        by_submission.setdefault(item.submission_id, []).append(item)
    busiest = sorted(by_submission.values(), key=lambda items: -len(items))
    plans = [(items, True) for items in busiest[1:] if len(items) >= 3][:1]
    plans += [(items[: len(items) // 2], False) for items in busiest[:1] if len(items) >= 2]
    moderated = 0
    for items, whole in plans:
        decisions = [_decision(item, n) for n, item in enumerate(items)]
        outcome = OutcomeDecision("", FEEDBACK) if whole else None
        for chair in chairs:
            try:
                save_moderation(session, items[0].submission_id, chair, decisions, outcome)
            except BadInput:
                continue  # this chair reviewed it or is conflicted: the next one decides
            moderated += len(decisions)
            break
    return moderated
