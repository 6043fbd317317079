"""Lodging an appeal and deciding one: the register's two forms."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from panel_desk.services.appeals import AppealChoices, AppealView

KEEP = "(reconsider the same outcome)"


def _text_box(name: str, height: int = 90) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(name)
    box.setTabChangesFocus(True)
    box.setMaximumHeight(height)
    return box


def _buttons(dialog: QDialog, ok: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class LodgeDialog(QDialog):
    def __init__(self, choices: AppealChoices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lodgeAppealDialog")
        self.setWindowTitle("Lodge an appeal")
        self.setMinimumWidth(560)
        self.submission = QComboBox()
        self.submission.setObjectName("appealSubmission")
        for ref, title, outcome in choices.submissions:
            self.submission.addItem(f"{ref} — {title} ({outcome})", ref)
        self.appellant = QLineEdit()
        self.appellant.setObjectName("appealAppellant")
        self.appellant.setPlaceholderText("who appeals, usually the lead representative")
        self.lodged_on = QDateEdit(QDate.currentDate())
        self.lodged_on.setObjectName("appealLodgedOn")
        self.lodged_on.setCalendarPopup(True)
        self.lodged_on.setMaximumDate(QDate.currentDate())
        self.grounds = _text_box("appealGrounds", 120)
        self.grounds.setPlaceholderText("the procedural irregularity the appeal alleges")
        form = QFormLayout(self)
        form.addRow(
            QLabel(
                "An appeal may be made on grounds of procedural irregularity in how the "
                "submission was handled."
            )
        )
        form.addRow("&Submission:", self.submission)
        form.addRow("&Appellant:", self.appellant)
        form.addRow("&Lodged on:", self.lodged_on)
        form.addRow("&Grounds:", self.grounds)
        form.addRow(_buttons(self, "&Lodge"))

    def values(self) -> tuple[str, str, str, date]:
        return (
            self.submission.currentData() or "",
            self.appellant.text(),
            self.grounds.toPlainText(),
            self.lodged_on.date().toPython(),
        )


class DecideDialog(QDialog):
    def __init__(
        self, appeal: AppealView, choices: AppealChoices, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("decideAppealDialog")
        self.setWindowTitle(f"Decide appeal {appeal.id} ({appeal.submission_ref})")
        self.setMinimumWidth(560)
        self.decision = QComboBox()
        self.decision.setObjectName("appealDecision")
        self.decision.addItems(["upheld", "dismissed", "withdrawn"])
        self.reason = _text_box("appealReason")
        self.outcome = QComboBox()
        self.outcome.setObjectName("appealOutcome")
        self.outcome.addItem(KEEP, None)
        for option in choices.outcomes:
            self.outcome.addItem(option, option)
        self.conditions = _text_box("appealConditions", 60)
        self.feedback = _text_box("appealFeedback", 80)
        self.feedback.setPlaceholderText("leave empty to keep the current feedback")
        grounds = QLabel(
            f"<b>Grounds</b> ({appeal.appellant}, {appeal.lodged_on}): {appeal.grounds}"
        )
        grounds.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(grounds)
        form.addRow("&Decision:", self.decision)
        form.addRow("&Reasons:", self.reason)
        form.addRow(
            QLabel("Upheld: the decision is reopened as a new version, which voids the sign-off.")
        )
        form.addRow("&Outcome:", self.outcome)
        form.addRow("&Conditions:", self.conditions)
        form.addRow("&Feedback:", self.feedback)
        form.addRow(_buttons(self, "&Record"))
        self.decision.currentTextChanged.connect(self._enable)
        self._enable()

    def _enable(self) -> None:
        upheld = self.decision.currentText() == "upheld"
        for widget in (self.outcome, self.conditions, self.feedback):
            widget.setEnabled(upheld)

    def values(self) -> dict[str, object]:
        upheld = self.decision.currentText() == "upheld"
        conditions = self.conditions.toPlainText().strip()
        feedback = self.feedback.toPlainText().strip()
        return {
            "decision": self.decision.currentText(),
            "reason": self.reason.toPlainText(),
            "outcome": self.outcome.currentData() if upheld else None,
            "conditions": conditions if upheld and conditions else None,
            "feedback": feedback if upheld and feedback else None,
        }
