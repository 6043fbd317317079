"""The evidence of a conflict flag in words: the same sentence on the command line, in the
GUI, in the submission's detail pane and in the decision pack.

Rules are named by their stored keys (the `key` of each rule in conflict_rules.py, which
re-exports `explain`): this module imports nothing of the rules, so either can be loaded
first.
"""

from __future__ import annotations

from typing import Any


def _dates(match: dict[str, Any]) -> str:
    starts, ends = match.get("starts_on"), match.get("ends_on")
    since = f"from {starts} " if starts else ""
    return f"{since}until {ends}" if ends else f"{since}to date"


def _org(match: dict[str, Any]) -> str:
    text = f"{match['organisation']}, the {match['role']} organisation"
    if "submission_organisation" in match:
        text += f" (named {match['submission_organisation']!r}; matched by {match['joined_by']})"
    return text


def explain(rule: str, evidence: dict[str, Any]) -> str:
    """The evidence of a flag as one readable sentence (or a few, joined by '; ')."""
    matches = evidence.get("matches", [])
    if rule == "affiliation":
        parts = [f"affiliated with {_org(m)}, {_dates(m)}" for m in matches]
        return "; ".join(parts) + f" (look-back from {evidence.get('lookback_from')})"
    if rule == "named":
        return f"named in the submission as {evidence.get('email')}"
    if rule == "declared_interest":
        parts = [f"declared an interest in {_org(m)}" for m in matches]
        notes = [m["note"] for m in matches if m.get("note")]
        return "; ".join(parts) + (f" ({'; '.join(notes)})" if notes else "")
    if rule == "mail_domain":
        parts = [f"{m['named']} is named ({m['how']})" for m in matches]
        return f"mail domain {evidence.get('domain')}: " + "; ".join(parts)
    if rule == "own_declaration":
        when = f" on {evidence['declared_on']}" if evidence.get("declared_on") else ""
        return f"declared{when}: {evidence.get('reason', '')}"
    return str(evidence)
