"""What the main window shows in place of its pages while the database has no rounds: what
to do first, for the role acting, with the buttons that do it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from panel_desk.services.vocabulary import Role


def _keys(action: QAction) -> str:
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def advice(role: Role) -> str:
    if role == Role.SECRETARIAT:
        return (
            "<h2>No rounds yet</h2>"
            "<p>Open the first round: its stage, reference and title, and its rules for "
            "conflicts and sign-off (defaults in Settings). Then import its submissions and "
            "run screening; conflicts, assignment and the rest follow, page by page.</p>"
            "<p>People come from the roster: import it first if they are not all here.</p>"
        )
    return (
        "<h2>No rounds yet</h2>"
        "<p>Rounds are opened by the secretariat. As a reviewer, your rounds arrive in the "
        "packet the secretariat sends you; on the hub, ask the secretariat to open one. "
        "Or open another database.</p>"
    )


class FirstSteps(QWidget):
    """The empty state: advice, and a button per first step (each the window's action)."""

    def __init__(self, role: Role, actions: Sequence[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("firstSteps")
        self.text = QLabel(advice(role))
        self.text.setObjectName("firstStepsText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        body = QWidget()
        body.setMaximumWidth(620)
        layout = QVBoxLayout(body)
        layout.addWidget(self.text)
        self.buttons: list[QPushButton] = []
        for action in actions:
            if not action.isEnabled():
                continue
            keys = _keys(action)
            text = action.text().replace("&", "")
            button = QPushButton(text + (f"   ({keys})" if keys else ""))
            button.setMinimumHeight(32)
            button.setToolTip(action.statusTip())
            button.clicked.connect(action.trigger)
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
