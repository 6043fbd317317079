"""Dialogs about conflicts: a decision with its rationale, and a refused assignment
explained by the rule and evidence that refused it."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.conflicts import ConflictRefused, FlagView
from panel_desk.ui.conflicts.render import rule_text

VERBS = {"clear": "Clear", "manage": "Manage", "reopen": "Reopen", "second": "Second"}


class DecisionDialog(QDialog):
    """Asks for the rationale of a decision (none for reopening or seconding)."""

    def __init__(self, flag: FlagView, decision: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictDecisionDialog")
        self.decision = decision
        verb = VERBS[decision]
        self.setWindowTitle(f"{verb} conflict — {flag.submission_ref}")
        intro = QLabel(
            f"<p><b>{escape(flag.person_name)}</b> and <b>{escape(flag.submission_ref)}</b>: "
            f"{escape(rule_text(flag))} ({escape(flag.severity)})</p>"
            f"<p>{escape(flag.explanation)}.</p>"
        )
        intro.setWordWrap(True)
        self.note = QLabel(self._note(flag, decision))
        self.note.setObjectName("decisionNote")
        self.note.setWordWrap(True)
        self.rationale = QPlainTextEdit()
        self.rationale.setObjectName("decisionRationale")
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setPlaceholderText("Why: what you checked and what you concluded")
        self.rationale.setTabChangesFocus(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(verb)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.note)
        needs_reason = decision in ("clear", "manage")
        if needs_reason:
            caption = QLabel("&Rationale (required):")
            caption.setBuddy(self.rationale)
            layout.addWidget(caption)
            layout.addWidget(self.rationale)
            self.rationale.textChanged.connect(self._enable)
            self.rationale.setFocus()
        layout.addWidget(self.buttons)
        self._enable()
        self.resize(520, 340 if needs_reason else 200)

    @staticmethod
    def _note(flag: FlagView, decision: str) -> str:
        if decision == "second":
            return (
                f"{flag.decided_by} proposed clearing it: “{flag.rationale}”. Seconding makes "
                "the clearance take effect; the person may then be assigned."
            )
        if decision == "reopen":
            return (
                "The flag will block assignment again; if the person is assigned, "
                "they are withdrawn."
            )
        if flag.severity == "hard":
            return (
                "A hard conflict is cleared only when a second member of the secretariat "
                "agrees: until they second it, it keeps blocking."
            )
        if decision == "manage":
            return "Managed: the person may review, under the arrangement your rationale records."
        return "Cleared: no conflict in fact; the person may review."

    def _enable(self) -> None:
        needs = self.decision in ("clear", "manage")
        self.ok.setEnabled(not needs or bool(self.rationale.toPlainText().strip()))

    def text(self) -> str:
        return self.rationale.toPlainText().strip()


def show_refusal(parent: QWidget | None, refused: ConflictRefused) -> None:
    """Tell why an assignment was refused: each blocking flag's rule and evidence."""
    person = refused.flags[0].person_name if refused.flags else "This reviewer"
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Not assigned: conflict of interest",
        f"{person} cannot review {refused.source}.",
        parent=parent,
    )
    box.setObjectName("conflictRefusalDialog")
    lines = [
        f"• {rule_text(f)} ({f.severity}, {f.decision_label}): {f.explanation}."
        for f in refused.flags
    ] or [refused.problem]
    box.setInformativeText(
        "\n".join(lines) + "\n\nNothing was changed. A decision on the Conflicts page "
        "(clear or manage, with a rationale) is the only way past a flag."
    )
    box.exec()
