"""Conflict flags as rich text: one flag in full (rule, evidence, decision), and the
conflicts section of a submission's detail pane. The words come from the services."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from panel_desk.services.conflicts import FlagView

BLOCKING_COLOUR = "#b3261e"
DECIDED_COLOUR = "#1b7f3a"
DECLARED_COLOUR = "#8a5a00"


def flag_colour(flag: FlagView) -> str:
    if flag.status == "declared":
        return DECLARED_COLOUR
    return BLOCKING_COLOUR if flag.blocking else DECIDED_COLOUR


def rule_text(flag: FlagView) -> str:
    return f"Rule {flag.rule_number} · {flag.rule_label}"


def flag_html(flag: FlagView) -> str:
    """Everything about one flag: who, which rule and why, and what was decided."""
    e = escape
    colour = flag_colour(flag)
    parts = [
        f"<p style='font-size:14px'><b>{e(flag.submission_ref)}</b> · {e(flag.person_name)} "
        f"<span style='color:#6f6f6f'>&lt;{e(flag.person_email)}&gt;</span></p>",
        f"<p><b>{e(rule_text(flag))}</b> — {e(flag.severity)}"
        f"{' (blocks assignment until decided)' if flag.severity == 'soft' else ''}</p>",
        f"<p><b>Evidence:</b> {e(flag.explanation)}.</p>",
        f"<p><b>Decision:</b> <span style='color:{colour}; font-weight:bold'>"
        f"{e(flag.decision_label)}</span></p>",
    ]
    if flag.rationale:
        when = f" on {flag.decided_at:%d %b %Y}" if flag.decided_at else ""
        parts.append(f"<p><b>Rationale</b>{when}: {e(flag.rationale)}</p>")
    if flag.severity == "hard" and flag.status == "open" and not flag.awaiting_second:
        parts.append(
            "<p style='color:#6f6f6f'>A hard conflict is cleared only with a rationale and a "
            "second member of the secretariat agreeing.</p>"
        )
    evidence = json.dumps(flag.evidence, indent=2, ensure_ascii=False)
    parts.append(f"<p style='color:#6f6f6f'>As recorded:</p><pre>{e(evidence)}</pre>")
    return "".join(parts)


def conflicts_section(flags: Sequence[FlagView]) -> str:
    """The 'Conflicts of interest' section of a submission's detail pane."""
    if not flags:
        return (
            "<h2>Conflicts of interest</h2><p class=muted>None on record "
            "(the rules run when conflicts are checked or reviewers assigned).</p>"
        )
    rows = [
        f"<p class=flag><b>{escape(flag.person_name)}</b> · {escape(rule_text(flag))} "
        f"<span class=muted>({escape(flag.severity)})</span> · "
        f"<span style='color:{flag_colour(flag)}'>{escape(flag.decision_label)}</span><br>"
        f"<span class=muted>{escape(flag.explanation)}</span></p>"
        for flag in flags
    ]
    blocking = sum(1 for f in flags if f.blocking)
    return (
        f"<h2>Conflicts of interest</h2><p>{len(flags)} flag{'s' * (len(flags) != 1)}, "
        f"{blocking} keeping someone off this submission.</p>{''.join(rows)}"
    )
