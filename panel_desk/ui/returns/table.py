"""The Returns page's table: one row per reviewer in the round, and the filters over it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from panel_desk.services.exchange.tracking import ReviewerProgress
from panel_desk.ui.conflicts.list_model import Column

GOOD, BAD, MUTED, WARN = "#1b7f3a", "#b3261e", "#5f6368", "#8a5a00"


def _day(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y}" if moment else ""


def _stamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment else 0.0


def status_of(row: ReviewerProgress) -> str:
    if row.to_review == 0:
        return "nothing to review"
    if row.complete:
        return "complete"
    if row.overdue:
        return f"overdue: {row.outstanding} outstanding"
    if row.packets == 0:
        return "no packet sent yet"
    if not row.packet_current:
        return "packet out of date"
    return f"{row.outstanding} outstanding"


def _status_colour(row: ReviewerProgress) -> str | None:
    if row.overdue:
        return BAD
    if row.complete:
        return GOOD
    if row.to_review == 0:
        return MUTED
    if row.packets == 0 or not row.packet_current:
        return WARN
    return None


def _packet_text(row: ReviewerProgress) -> str:
    if not row.packets:
        return "none"
    current = "" if row.packet_current else " (out of date)"
    return f"{row.packets}, last {_day(row.last_packet_at)}{current}"


COLUMNS = (
    Column("Reviewer", lambda r: r.name, lambda r: r.name.casefold()),
    Column("E-mail", lambda r: r.email, lambda r: r.email),
    Column(
        "Submitted",
        lambda r: f"{r.submitted} of {r.to_review}",
        lambda r: (r.submitted / r.to_review if r.to_review else 2.0, r.to_review),
        numeric=True,
        searched=False,
        tip="reviews submitted, of the assignments they hold now",
    ),
    Column(
        "Outstanding",
        lambda r: str(r.outstanding) if r.outstanding else "",
        lambda r: r.outstanding,
        numeric=True,
        searched=False,
        colour=lambda r: BAD if r.overdue else None,
        tip="assignments without a submitted review",
    ),
    Column(
        "Drafts",
        lambda r: str(r.drafts) if r.drafts else "",
        lambda r: r.drafts,
        numeric=True,
        searched=False,
        tip="begun, not yet submitted (as the hub last heard)",
    ),
    Column(
        "Conflicts",
        lambda r: str(r.declared) if r.declared else "",
        lambda r: r.declared,
        numeric=True,
        searched=False,
        tip="conflicts of interest the reviewer declared",
    ),
    Column(
        "Packets",
        _packet_text,
        lambda r: (r.packets, _stamp(r.last_packet_at)),
        searched=False,
        tip="packets issued to them for this round",
    ),
    Column(
        "Returns",
        lambda r: f"{r.returns}, last {_day(r.last_return_at)}" if r.returns else "none",
        lambda r: (r.returns, _stamp(r.last_return_at)),
        searched=False,
        tip="signed returns imported from them",
    ),
    Column(
        "Status",
        status_of,
        lambda r: (not r.overdue, r.complete, r.outstanding),
        colour=_status_colour,
    ),
)

SHOWN: tuple[tuple[str, Callable[[ReviewerProgress], bool] | None], ...] = (
    ("Every reviewer", None),
    ("With reviews outstanding", lambda r: r.outstanding > 0),
    ("Overdue", lambda r: r.overdue),
    ("Without a current packet", lambda r: r.to_review > 0 and not r.packet_current),
    ("Complete", lambda r: r.complete),
)
