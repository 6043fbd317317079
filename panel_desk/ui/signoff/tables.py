"""The Sign-off page's tables: the recommendations being signed, and the signatures so far."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from panel_desk.services.decision_set import Decision
from panel_desk.services.signoff import SignatureView, SignOffStatus
from panel_desk.ui.conflicts.list_model import Column

GOOD, BAD, MUTED, WARN = "#1b7f3a", "#b3261e", "#5f6368", "#8a5a00"


def _place(d: Decision) -> str:
    if d.place is None:
        return ""
    if d.place.position is None:
        return d.place.status
    return f"{d.place.rank}{'=' if d.place.tied else ''}"


def _side(d: Decision) -> str:
    if d.place is None or d.place.above is None:
        return ""
    return "above the line" if d.place.above else "below the line"


def _outcome(d: Decision) -> str:
    return d.outcome if d.considered else "not considered"


def _outcome_colour(d: Decision) -> str | None:
    if not d.considered:
        return MUTED
    if not d.outcome:
        return BAD
    return GOOD if d.successful else None


def recommendation_columns(
    conflict: Callable[[Decision], str],
    signing: Callable[[Decision], str],
    short: Callable[[Decision], bool],
) -> tuple[Column, ...]:
    """`conflict(d)`: why the acting member abstains on it ("" when they do not);
    `signing(d)`: how many counting signatories did not abstain on it; `short(d)`: too few."""
    return (
        Column("Ref", lambda d: d.ref, lambda d: d.ref),
        Column("Title", lambda d: d.title, lambda d: d.title.casefold()),
        Column("Outcome", _outcome, _outcome, colour=_outcome_colour),
        Column(
            "Rank",
            _place,
            lambda d: (
                d.place is None or d.place.position is None,
                d.place.position if d.place else 0,
            ),
            numeric=True,
            tip="the official rank (= tied), or why it is not ranked",
        ),
        Column(
            "Score",
            lambda d: d.place.score if d.place else "",
            lambda d: float(d.place.score) if d.place and d.place.score else -1.0,
            numeric=True,
            searched=False,
            tip="weighted moderated score",
        ),
        Column("Cut-line", _side, _side, searched=False),
        Column(
            "Your conflict",
            conflict,
            conflict,
            colour=lambda d: WARN if conflict(d) else None,
            tip="you abstain on this submission when you sign: why",
        ),
        Column(
            "Signatories",
            signing,
            lambda d: int(signing(d) or 0),
            numeric=True,
            searched=False,
            colour=lambda d: BAD if short(d) else None,
            tip="signatures that count and did not abstain on it (red: fewer than the quorum)",
        ),
    )


def _state(s: SignatureView) -> str:
    return "counts" if s.counts else s.problem


SIGNATURE_COLUMNS = (
    Column("Member", lambda s: f"{s.name} <{s.signer}>", lambda s: s.name.casefold()),
    Column("Signed", lambda s: f"{s.signed_at:%Y-%m-%d %H:%M}", lambda s: s.signed_at),
    Column("Abstained on", lambda s: ", ".join(s.abstentions), lambda s: s.abstentions),
    Column("Statement", lambda s: s.statement, lambda s: s.statement),
    Column(
        "Status",
        _state,
        lambda s: (not s.counts, s.problem),
        colour=lambda s: GOOD if s.counts else BAD,
    ),
)


def decision_html(d: Decision, status: SignOffStatus) -> str:
    """One recommendation in full, for the pane beside the table."""
    labels = {c.key: c.label for c in status.decisions.criteria}
    parts = [f"<h3>{escape(d.ref)} — {escape(d.title)}</h3><p>{escape(d.lead)}</p>"]
    if not d.considered:
        return parts[0] + f"<p><i>{escape(d.note)}</i></p>"
    colour = GOOD if d.successful else BAD
    parts.append(
        f"<p><b style='color:{colour}'>{escape(d.outcome or '—')}</b>"
        + (f" (version {d.version})" if d.version else "")
        + "</p>"
    )
    if d.place is not None:
        parts.append(
            f"<p>Rank: {escape(_place(d))} {escape(_side(d))} {escape(d.place.reason)}</p>"
        )
    for title, value in (("Conditions", d.conditions), ("Rationale", d.rationale),
                         ("Feedback", d.feedback)):  # fmt: skip
        if value:
            parts.append(f"<p><b>{title}</b><br/>{escape(value)}</p>")
    rows = "".join(
        f"<tr><td>{escape(labels.get(s.key, s.key))}</td><td><b>{escape(s.value)}</b></td>"
        f"<td>{'moderated' if s.moderated else ''}</td></tr>"
        for s in d.scores
    )
    parts.append(f"<p><b>Moderated scores</b></p><table cellspacing=4>{rows}</table>")
    return "".join(parts)
