"""The annual returns a periodic-review submission opens with, for the reviewer to read
beside its documents: each provider's take-up, progression and completions per reporting
year, when the return came in (late ones marked), and the years whose return is missing."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from panel_desk.services.exchange.packet_returns import AttachedReturnView

CSS = (
    ".late { color: #a15c00; font-weight: bold; } "
    ".missing { color: #b3261e; font-weight: bold; } "
    ".returns th { text-align: left; color: #555; padding-right: 10px; } "
    ".returns td { padding-right: 10px; vertical-align: top; }"
)


def _when(view: AttachedReturnView) -> str:
    due = f"due {view.due_on:%-d %b %Y}"
    if view.received_on is None:
        return f"<span class=missing>Missing</span><br><span class=muted>{due}</span>"
    got = f"{view.received_on:%-d %b %Y}"
    if view.state == "late":
        return f"<span class=late>Late</span> {got}<br><span class=muted>{due}</span>"
    return f"{got}<br><span class=muted>{due}</span>"


def _figure(value: int | None) -> str:
    return "—" if value is None else str(value)


def returns_html(returns: Sequence[AttachedReturnView]) -> str:
    """A section for the detail pane; "" when the submission opens with no returns."""
    if not returns:
        return ""
    credentials = sorted({r.credential for r in returns})
    late = sum(r.state == "late" for r in returns)
    missing = sum(r.state == "missing" for r in returns)
    summary = f"{len(returns) - missing} received"
    if late:
        summary += f" ({late} late)"
    if missing:
        summary += f", <span class=missing>{missing} missing</span>"
    rows = "".join(
        f"<tr><td>{escape(r.year_label)}</td><td>{escape(r.provider)}</td>"
        f"<td>{_when(r)}</td><td align=right>{_figure(r.take_up)}</td>"
        f"<td align=right>{_figure(r.progressing)}</td>"
        f"<td align=right>{_figure(r.completed)}</td>"
        f"<td class=muted>{escape(r.themes)}</td></tr>"
        for r in returns
    )
    return (
        f"<style>{CSS}</style><h2>Annual returns attached</h2>"
        f"<p>{escape('; '.join(credentials))}: {summary}.</p>"
        "<table class=returns><tr><th>Year</th><th>Provider</th><th>Received</th>"
        "<th>Take-up</th><th>Progressing</th><th>Completed</th><th>Enhancement themes</th>"
        f"</tr>{rows}</table>"
    )
