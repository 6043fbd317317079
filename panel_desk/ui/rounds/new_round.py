"""Round ▸ New round…: open a round at a stage, with the rules chosen in Settings as its
starting point (changeable here, for this round only).

The same service as `panel-desk round create`; the round's look-back, quorum and shared
mail domains are passed in as plain values, so Settings changes what the service does
without the service knowing of Settings.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from panel_desk import preferences
from panel_desk.errors import BadInput
from panel_desk.services import rounds
from panel_desk.services.rounds import MAX_PLACES
from panel_desk.services.vocabulary import Stage
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.settings.dialog import RoundRulesEditor
from panel_desk.ui.workspace import Workspace


class NewRoundDialog(QDialog):
    def __init__(self, workspace: Workspace, store: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("newRoundDialog")
        self.setWindowTitle("New round")
        self.workspace = workspace
        self.created: str | None = None

        self.stage = QComboBox()
        self.stage.setObjectName("stage")
        for stage in Stage:
            self.stage.addItem(stage.label, stage.value)
        self.ref = QLineEdit(placeholderText="e.g. GW-2027-01")
        self.ref.setObjectName("roundRef")
        self.title_edit = QLineEdit(placeholderText="e.g. Call for credential proposals 2027")
        self.title_edit.setObjectName("roundTitle")
        self.opens = QDateEdit(QDate.currentDate())
        self.opens.setObjectName("opensOn")
        self.opens.setCalendarPopup(True)
        self.opens.setDisplayFormat("yyyy-MM-dd")
        self.places = QSpinBox(minimum=0, maximum=MAX_PLACES)
        self.places.setObjectName("places")
        self.places.setSpecialValueText("not competitive")
        self.places.setToolTip("Places available, for a competitive call ranked to a cut-line")
        form = QFormLayout()
        form.addRow("&Stage:", self.stage)
        form.addRow("&Reference:", self.ref)
        form.addRow("&Title:", self.title_edit)
        form.addRow("&Opens on:", self.opens)
        form.addRow("&Places:", self.places)

        self.rules = RoundRulesEditor(preferences.load(store).new_round_rules)
        rules_box = QGroupBox("This round's rules (from Settings; change them here for it)")
        QVBoxLayout(rules_box).addWidget(self.rules)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Open round")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(rules_box, 1)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def accept(self) -> None:
        stage = Stage(self.stage.currentData())
        ref, title = self.ref.text().strip(), self.title_edit.text()
        opens = self.opens.date().toPython()
        places = self.places.value() or None
        email = self.workspace.person.email
        try:
            rules = self.rules.rules()
            self.created = self.workspace.run(
                lambda session: (
                    rounds.create_round(
                        session,
                        stage=stage,
                        ref=ref,
                        title=title,
                        opens_on=opens,
                        places=places,
                        rules=rules,
                        actor=email,
                    ).ref
                )
            )
        except BadInput as error:
            show_bad_input(self, "New round", error)
            return
        super().accept()


def new_round(parent: QWidget, workspace: Workspace, store: QSettings) -> str | None:
    """Ask for a round and open it; its reference, or None when cancelled."""
    dialog = NewRoundDialog(workspace, store, parent)
    dialog.exec()
    return dialog.created
