"""Lineage as rich text: the chain from proposal to reviews, and a credential's history.

Shared by the Credential history page and the submission detail pane, so a chain reads
the same wherever it is met. Every value from the database is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from panel_desk.services.lineage_views import Chain, CredentialHistory, Step

if TYPE_CHECKING:  # for hints only: annual returns import sign-off, keys and signing
    from panel_desk.services.annual_returns import ReturnDue, ReturnView

CSS = """
h2 { font-size: 13px; margin: 14px 0 4px 0; border-bottom: 1px solid #c8c8c8; }
.muted { color: #6f6f6f; }
.ok { color: #1b7f3a; font-weight: bold; }
.wait { color: #8a5a00; font-weight: bold; }
.no { color: #b3261e; font-weight: bold; }
td { padding: 2px 8px 2px 0; vertical-align: top; }
th { text-align: left; padding: 2px 8px 2px 0; color: #6f6f6f; font-weight: normal; }
.focus { background: #eef3f8; }
"""


def _standing(step: Step) -> str:
    css = "ok" if step.signed_off else "wait" if step.outcome else "muted"
    if step.signed_off and step.outcome.startswith(("do not", "not")):
        css = "no"
    return f"<span class={css}>{escape(step.standing)}</span>"


def _step(step: Step, focus: int) -> str:
    indent = "&nbsp;" * (6 * step.depth) + ("↳ " if step.depth else "")
    packs = "".join(
        f"<br>{'&nbsp;' * (6 * step.depth + 4)}<span class=muted>decision pack "
        f"{p.at:%d %b %Y} by {escape(p.by)}: {escape(p.path)}"
        f"{'' if p.current else ' (superseded by a later decision)'}</span>"
        for p in step.packs
    )
    signed = (
        f"<br>{'&nbsp;' * (6 * step.depth + 4)}<span class=muted>signed off by "
        f"{escape(', '.join(step.signatories))}</span>"
        if step.signed_off
        else ""
    )
    conditions = (
        f"<br>{'&nbsp;' * (6 * step.depth + 4)}Conditions: {escape(step.conditions)}"
        if step.conditions
        else ""
    )
    mark = " class=focus" if step.id == focus else ""
    return (
        f"<tr{mark}><td>{indent}<b>{escape(step.role)}</b> "
        f"<span class=muted>{escape(step.reference)}</span><br>"
        f"{'&nbsp;' * (6 * step.depth + 4)}{escape(step.title)} · {escape(step.lead)}<br>"
        f"{'&nbsp;' * (6 * step.depth + 4)}{_standing(step)}{conditions}{signed}{packs}</td></tr>"
    )


def chain_section(chain: Chain, returns: Sequence[ReturnView] = ()) -> str:
    """The lineage as a section of a page: each step with its decision and packs."""
    parts = ["<h2>Lineage</h2><table width='100%'>"]
    parts += [_step(step, chain.focus) for step in chain.steps]
    parts.append("</table>")
    if returns:
        parts.append(returns_section(returns, "Annual returns attached"))
    return "".join(parts)


def _received(r: ReturnView, owed: dict[tuple[str, int], ReturnDue]) -> str:
    due = owed.get((r.provider, r.year))
    if due is not None and due.state == "late":
        return (
            f"<span class=wait>late</span> {r.received_on:%-d %b %Y}<br>"
            f"<span class=muted>due {due.due:%-d %b %Y}</span>"
        )
    return f"{r.received_on:%-d %b %Y}"


def returns_section(
    returns: Sequence[ReturnView],
    title: str = "Annual returns",
    owed: Sequence[ReturnDue] = (),
) -> str:
    """The returns received, each marked late where it came after its due date, and the
    returns `owed` that are missing (due and not received)."""
    by_year = {(d.provider, d.year): d for d in owed}
    rows = "".join(
        f"<tr><td>{escape(r.year_label)}</td><td>{escape(r.provider)}</td>"
        f"<td>{_received(r, by_year)}</td>"
        f"<td align=right>{r.take_up}</td><td align=right>{r.progressing}</td>"
        f"<td align=right>{r.completed}</td><td class=muted>{escape(r.themes)}</td></tr>"
        for r in returns
    )
    missing = "".join(
        f"<tr><td>{escape(d.year_label)}</td><td>{escape(d.provider)}</td>"
        f"<td><span class=no>missing</span><br><span class=muted>due "
        f"{d.due:%-d %b %Y}</span></td><td colspan=4></td></tr>"
        for d in owed
        if d.state == "missing"
    )
    return (
        f"<h2>{escape(title)}</h2><table><tr><th>Year</th><th>Provider</th><th>Received</th>"
        f"<th>Take-up</th><th>Progressing</th><th>Completed</th><th>Enhancement themes</th>"
        f"</tr>{rows}{missing}</table>"
    )


def history_html(history: CredentialHistory) -> str:
    e = history.entry
    parts = [f"<style>{CSS}</style>"]
    if e is None:
        parts.append("<p class=no>Not an endorsed credential on the register today.</p>")
    else:
        parts += [
            f"<p style='font-size: 15px; font-weight: bold'>{escape(e.title)}</p>",
            f"<p>{escape(e.reference)} · developed by {escape(e.developed_by)} · "
            f"<span class=ok>{escape(e.status(history.as_of))}</span><br>"
            f"Endorsed {e.endorsed_on:%-d %b %Y}; periodic review due {e.review_due:%-d %b %Y}"
            + (f"<br>Conditions: {escape(e.conditions)}" if e.conditions else "")
            + "</p>",
        ]
    parts.append(chain_section(history.chain))
    parts.append("<h2>Approved providers</h2>")
    if history.approvals:
        parts.append(
            "<table><tr><th>Provider</th><th>Approved</th><th>Renewal due</th>"
            "<th>Status</th><th>Conditions</th></tr>"
        )
        parts += [
            f"<tr><td>{escape(a.provider)}</td><td>{a.approved_on:%-d %b %Y}</td>"
            f"<td>{a.renewal_due:%-d %b %Y}</td><td>{escape(a.status(history.as_of))}</td>"
            f"<td class=muted>{escape(a.conditions) or '—'}</td></tr>"
            for a in history.approvals
        ]
        parts.append("</table>")
    else:
        parts.append("<p class=muted>No provider is approved for it yet.</p>")
    parts.append(f"<h2>Completions annotated ({len(history.annotations)})</h2>")
    if history.annotations:
        parts.append("<table><tr><th>Practitioner</th><th>Provider</th><th>Completed</th></tr>")
        parts += [
            f"<tr><td>{escape(a.practitioner_id)} {escape(a.name)}</td>"
            f"<td>{escape(a.provider)}</td><td>{a.completed_on:%-d %b %Y}</td></tr>"
            for a in history.annotations
        ]
        parts.append("</table>")
    else:
        parts.append("<p class=muted>None yet.</p>")
    if history.returns or any(d.state == "missing" for d in history.owed):
        parts.append(returns_section(history.returns, owed=history.owed))
    else:
        parts.append("<h2>Annual returns</h2><p class=muted>None received yet.</p>")
    return "".join(parts)
