"""The detail pane: one submission's fields, documents and screening result, readable at once.

Rendered as a rich-text page, so long template answers wrap naturally and documents are
links a keyboard user reaches with Tab and opens with Enter.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from panel_desk.services import lineage_views
from panel_desk.services.submission_views import SubmissionDetail
from panel_desk.services.vocabulary import Role
from panel_desk.ui.conflicts.render import conflicts_section
from panel_desk.ui.lineage.render import CSS as LINEAGE_CSS
from panel_desk.ui.lineage.render import chain_section

_CSS = """
p.title { font-size: 15px; font-weight: bold; margin: 2px 0 4px 0; }
h2 { font-size: 13px; margin: 14px 0 4px 0; border-bottom: 1px solid #c8c8c8; }
.ref { color: #6f6f6f; font-size: 10pt; }
.state-complete { color: #1b7f3a; font-weight: bold; }
.state-gaps_returned { color: #b3261e; font-weight: bold; }
.state-resubmitted { color: #8a5a00; font-weight: bold; }
.state-not_screened { color: #5f6368; font-weight: bold; }
.ok { color: #1b7f3a; font-weight: bold; }
.gap { color: #b3261e; font-weight: bold; }
.muted { color: #6f6f6f; }
td { padding: 2px 8px 2px 0; vertical-align: top; }
td.label { color: #6f6f6f; }
p.field { color: #6f6f6f; margin: 8px 0 0 0; }
p.value { margin: 0 0 0 12px; }
"""


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def render(detail: SubmissionDetail, lineage: str = "", attached: str = "") -> str:
    """The page; `attached` (HTML) follows the documents: what the submission opens with."""
    e = escape
    people = "<br>".join(
        f"{e(name)} &lt;{e(email)}&gt;" if name else e(email) for email, name in detail.named_people
    )
    overview = [
        ("Lead organisation", e(detail.lead)),
        ("Partners", "<br>".join(e(p) for p in detail.partners) or "<span class=muted>none</span>"),
        ("Area", e(detail.area.replace("-", " ").capitalize())),
        ("Named people", people or "<span class=muted>none</span>"),
        ("Received", detail.received_at.strftime("%d %b %Y")),
        ("Reviewers", str(detail.reviewers) if detail.reviewers else "not yet assigned"),
    ]
    parts = [
        f"<style>{_CSS}</style>",
        f"<div class=ref>{e(detail.round_ref)} · {e(detail.stage_label)}</div>",
        f"<p class=title>{e(detail.ref)} — {e(detail.title)}</p>",
        f"<div>Screening: <span class='state-{e(detail.screening_state)}'>"
        f"{e(detail.screening_label)}</span></div>",
        "<table width='100%'>",
        *(f"<tr><td class=label width='30%'>{k}</td><td>{v}</td></tr>" for k, v in overview),
        "</table>",
        conflicts_section(detail.conflicts) if detail.conflicts else "",
        lineage,
        "<h2>Screening</h2>",
    ]
    if not detail.checks:
        parts.append("<p class=muted>Not screened yet: run Round ▸ Run screening.</p>")
    else:
        gaps = detail.gaps
        parts.append(
            f"<p><span class=gap>{len(gaps)} information gap{'s' * (len(gaps) != 1)}</span> "
            "returned to the submitter.</p>"
            if gaps
            else "<p><span class=ok>Complete:</span> every required field and document "
            "is present.</p>"
        )
        parts.append("<table>")
        for check in detail.checks:
            mark = "<span class=ok>✓</span>" if check.present else "<span class=gap>✗</span>"
            what = "document" if check.kind == "document" else "field"
            if check.present:
                note = e(check.satisfied_by) if check.kind == "document" else ""
            else:
                note = e(check.note.split(": ", 1)[-1])
            note_html = f"<br><span class=muted>{note}</span>" if note else ""
            parts.append(
                f"<tr><td>{mark}</td><td>{e(check.label)} <span class=muted>({what})</span>"
                f"{note_html}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Documents</h2>")
    if detail.documents:
        parts.append("<table>")
        for document in detail.documents:
            parts.append(
                f"<tr><td><a href='doc:{document.id}'>{e(document.name)}</a></td>"
                f"<td class=muted>{_size(document.size)}</td>"
                f"<td class=muted>sha256 {document.sha256[:12]}…</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p class=muted>No documents were sent.</p>")
    parts.append(attached)
    parts.append("<h2>Template fields</h2>")
    for field in detail.fields:
        if field.value.strip():
            value = e(field.value).replace("\n", "<br>")
        else:
            value = f"<span class={'gap' if field.required else 'muted'}>empty</span>"
        parts.append(f"<p class=field>{e(field.label)}</p><p class=value>{value}</p>")
    parts.extend(_history(detail))
    return "".join(parts)


def _words(action: str) -> str:
    """`screening.gaps_returned` as a person reads it: "Screening gaps returned"."""
    return action.replace(".", " ").replace("_", " ").capitalize()


def _history(detail: SubmissionDetail) -> list[str]:
    """The audit trail's events about this submission, oldest first."""
    if not detail.history:
        return []
    rows = [
        f"<tr><td class=muted>{h.at:%d %b %Y %H:%M}</td><td>{escape(_words(h.action))}</td>"
        f"<td class=muted>{escape(h.actor)}</td></tr>"
        for h in detail.history
    ]
    return ["<h2>History</h2><table>", *rows, "</table>"]


class SubmissionDetailPane(QTextBrowser):
    """Shows one submission; emits `document_requested(id)` when a document link is followed."""

    document_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submissionDetail")
        self.setOpenLinks(False)
        self.setAccessibleName("Submission detail")
        self.anchorClicked.connect(self._follow)
        self.show_nothing("Choose a submission to see its fields, documents and screening.")

    def show_detail(self, detail: SubmissionDetail, attached: str = "") -> None:
        self.setHtml(render(detail, self._lineage(detail.id), attached))

    def _lineage(self, submission_id: int) -> str:
        """The chain this submission is part of (proposal → specification → delivery and
        review), read through the page's workspace; not for a blinded reviewer."""
        widget = self.parentWidget()
        while widget is not None and not hasattr(widget, "workspace"):
            widget = widget.parentWidget()
        workspace = getattr(widget, "workspace", None)
        if workspace is None or workspace.role == Role.REVIEWER:
            return ""
        chain = workspace.read(lineage_views.chain_if_linked, submission_id)
        if chain is None:
            return ""
        attached = workspace.read(lineage_views.attached_returns, submission_id)
        return f"<style>{LINEAGE_CSS}</style>{chain_section(chain, attached)}"

    def show_nothing(self, text: str) -> None:
        self.setHtml(f"<p style='color: #6f6f6f'>{escape(text)}</p>")

    def _follow(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("doc:"):
            self.document_requested.emit(int(text[4:]))
