"""The Credential history page: one credential's whole history, from the proposal it grew
from to its providers' annual returns, with each decision's sign-off and decision pack.

Not tied to a round: a credential outlives the rounds that made it. The list is every
credential ever endorsed (the register, from signed-off decisions).
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from panel_desk.services import lineage_views
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.lineage.render import history_html
from panel_desk.ui.workspace import Workspace


class CredentialHistoryPage(QWidget):
    title: ClassVar[str] = "Credential history"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT, Role.EAG, Role.MODERATOR})

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("credentialHistoryPage")
        self.workspace = workspace
        self.chooser = QComboBox()
        self.chooser.setObjectName("credentialChooser")
        self.chooser.setAccessibleName("Credential")
        self.chooser.setMinimumContentsLength(24)
        label = QLabel("&Credential:")
        label.setBuddy(self.chooser)
        self.history = QTextBrowser()
        self.history.setObjectName("credentialHistory")
        self.history.setAccessibleName("Credential history")
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.chooser, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.history, 1)
        self.chooser.currentIndexChanged.connect(lambda _i: self._show_chosen())

    def show_round(self, summary: RoundSummary | None) -> None:
        self.refresh()

    def refresh(self) -> None:
        chosen = self.chooser.currentData()
        credentials = self.workspace.read(lineage_views.credential_choices)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for c in credentials:
            self.chooser.addItem(f"{c.title} ({c.reference})", c.id)
        index = self.chooser.findData(chosen)
        self.chooser.setCurrentIndex(index if index >= 0 else 0)
        self.chooser.blockSignals(False)
        self._show_chosen()

    def show_credential(self, credential_id: int) -> None:
        index = self.chooser.findData(credential_id)
        if index >= 0:
            self.chooser.setCurrentIndex(index)

    def _show_chosen(self) -> None:
        credential_id = self.chooser.currentData()
        if credential_id is None:
            self.history.setHtml(
                "<p style='color: #6f6f6f'>No credential is endorsed yet: credentials appear "
                "here once an endorsement round is signed off.</p>"
            )
            return
        history = self.workspace.read(lineage_views.credential_history, credential_id)
        self.history.setHtml(history_html(history))
