"""The editor's questions: a reason (for a correction, for a conflict), a confirmation before
a review locks, and the differences between two versions."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.review_views import VersionComparison


class ReasonDialog(QDialog):
    """Asks for a reason; OK is enabled once there is one. Ctrl+Enter accepts."""

    def __init__(
        self, parent: QWidget | None, title: str, explanation: str, action: str, name: str
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        text = QLabel(explanation)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("Your reason")
        layout.addWidget(self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(False)
        self.ok.setToolTip("Ctrl+Enter")
        self.reason.installEventFilter(self)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self._accept_if_ready)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(
            lambda: self.ok.setEnabled(bool(self.reason.toPlainText().strip()))
        )
        self.resize(480, 260)

    def text(self) -> str:
        return self.reason.toPlainText().strip()

    def _accept_if_ready(self) -> None:
        if self.ok.isEnabled():
            self.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Enter in the reason accepts, as it submits in the editor."""
        if (
            watched is self.reason
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self._accept_if_ready()
            return True
        return super().eventFilter(watched, event)


def ask_reason(
    parent: QWidget | None, title: str, explanation: str, action: str, name: str
) -> str | None:
    dialog = ReasonDialog(parent, title, explanation, action, name)
    return dialog.text() if dialog.exec() == QDialog.DialogCode.Accepted else None


def confirm_submit(parent: QWidget | None, ref: str, version: int) -> bool:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Submit review",
        f"Submit your review of {ref}?",
        parent=parent,
    )
    box.setObjectName("confirmSubmit")
    box.setInformativeText(
        "Once submitted it is locked"
        + (f" (version {version})" if version > 1 else "")
        + ". Any later change is a correction: a new version, with your reason."
    )
    submit = box.addButton("Submit", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(submit)
    box.exec()
    return box.clickedButton() is submit


def show_differences(parent: QWidget | None, comparison: VersionComparison) -> None:
    dialog = QDialog(parent)
    dialog.setObjectName("differencesDialog")
    dialog.setWindowTitle(f"Changes in {comparison.submission_ref}")
    view = QTextBrowser()
    view.setHtml(differences_html(comparison))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    layout.addWidget(buttons)
    dialog.resize(640, 480)
    dialog.exec()


def differences_html(comparison: VersionComparison) -> str:
    e = escape
    after = comparison.after
    parts = [
        f"<p><b>Version {comparison.before.version} → {after.version}</b>",
        f"<br><span style='color:#5f6368'>Reason: {e(after.correction_reason)}</span>"
        if after.correction_reason
        else "",
        "</p>",
    ]
    if not comparison.differences:
        parts.append("<p style='color:#5f6368'>No differences yet.</p>")
    for d in comparison.differences:
        parts.append(
            f"<p><b>{e(d.label)}</b> — {e(d.part)}<br>"
            f"<span style='color:#b3261e'>− {e(d.before) or '<i>empty</i>'}</span><br>"
            f"<span style='color:#1b7f3a'>+ {e(d.after) or '<i>empty</i>'}</span></p>"
        )
    return "".join(parts)
