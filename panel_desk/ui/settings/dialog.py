"""Settings: the default database, and the rules the rounds opened from now on start with.

The dialog reads and writes panel_desk.preferences (QSettings), the same store the command
line reads, so `panel-desk round create` and every command without --db follow what is
chosen here. A round keeps the rules it was opened with (its packets and its signed
recommendation set state them), so the rules here are defaults for new rounds, never a
change to rounds already open; the dialog says so beside them.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from panel_desk import preferences
from panel_desk.errors import BadInput
from panel_desk.paths import default_database_path
from panel_desk.services.round_rules import (
    MAX_LOOKBACK_YEARS,
    MAX_QUORUM,
    RoundRules,
    parse_domains,
)
from panel_desk.ui.colours import make_quiet
from panel_desk.ui.dialogs import show_bad_input


class RoundRulesEditor(QWidget):
    """Look-back years, sign-off quorum and shared mail domains, as a form; used here for
    the defaults and in New round… for one round."""

    def __init__(self, rules: RoundRules, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lookback = QSpinBox(minimum=0, maximum=MAX_LOOKBACK_YEARS)
        self.lookback.setObjectName("lookbackYears")
        self.lookback.setSuffix(" years")
        self.lookback.setToolTip(
            "Conflict rule 1: an affiliation with a submission's organisation counts while "
            "current or ended fewer than this many years before the round opens"
        )
        self.quorum = QSpinBox(minimum=1, maximum=MAX_QUORUM)
        self.quorum.setObjectName("signoffQuorum")
        self.quorum.setSuffix(" signatures")
        self.quorum.setToolTip("EAG signatures needed before the round's decisions stand")
        self.domains = QPlainTextEdit()
        self.domains.setObjectName("sharedDomains")
        self.domains.setTabChangesFocus(True)
        self.domains.setToolTip(
            "Conflict rule 4 never fires for these mail domains: many unrelated people "
            "share them. One a line."
        )
        self.domains.setMinimumHeight(110)
        shipped = QPushButton("Shipped &list")
        shipped.setObjectName("shippedDomainsButton")
        shipped.setToolTip("Put back the shared mail domains panel_desk ships with")
        shipped.clicked.connect(lambda: self._show_domains(RoundRules().shared_mail_domains))
        domains_row = QHBoxLayout()
        domains_row.addWidget(self.domains, 1)
        domains_row.addWidget(shipped)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Look-back:", self.lookback)
        form.addRow("Sign-off &quorum:", self.quorum)
        domains_label = QLabel("Shared &mail domains:")
        domains_label.setBuddy(self.domains)
        form.addRow(domains_label, domains_row)
        self.show_rules(rules)

    def _show_domains(self, domains: tuple[str, ...]) -> None:
        self.domains.setPlainText("\n".join(domains))

    def show_rules(self, rules: RoundRules) -> None:
        self.lookback.setValue(rules.lookback_years)
        self.quorum.setValue(rules.signoff_quorum)
        self._show_domains(rules.shared_mail_domains)

    def rules(self) -> RoundRules:
        """The rules as entered; BadInput for a domain that is not one."""
        return RoundRules(
            self.lookback.value(),
            self.quorum.value(),
            parse_domains(self.domains.toPlainText()),
        ).checked()


class SettingsDialog(QDialog):
    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.store = store
        chosen = preferences.load(store)

        self.database = QLineEdit(chosen.default_database)
        self.database.setObjectName("defaultDatabase")
        self.database.setPlaceholderText(str(default_database_path()))
        self.database.setClearButtonEnabled(True)
        self.database.setToolTip("A database file, or a URL such as postgresql+psycopg://…")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.database, 1)
        row.addWidget(browse)
        database_box = QGroupBox("Default database")
        database_layout = QVBoxLayout(database_box)
        database_layout.addLayout(row)
        database_layout.addWidget(
            self._note(
                "Opened when panel_desk starts and by every panel-desk command given no --db, "
                "from the next start. Empty: your own, in your user data folder."
            )
        )

        self.rules = RoundRulesEditor(chosen.new_round_rules)
        rules_box = QGroupBox("Rules for new rounds")
        rules_layout = QVBoxLayout(rules_box)
        rules_layout.addWidget(self.rules)
        rules_layout.addWidget(
            self._note(
                "Rounds opened from now on start with these (Round ▸ New round…, and "
                "panel-desk round create). A round keeps the rules it was opened with: its "
                "packets and its signed decisions state them."
            )
        )

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        restore = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.setToolTip("Put back the shipped rules and your own database (not yet saved)")
        restore.clicked.connect(self._restore_defaults)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addWidget(database_box)
        layout.addWidget(rules_box, 1)
        layout.addWidget(buttons)
        self.resize(560, 500)

    @staticmethod
    def _note(text: str) -> QLabel:
        label = make_quiet(QLabel(text))
        label.setWordWrap(True)
        return label

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Default database",
            self.database.text() or str(default_database_path()),
            "panel_desk databases (*.sqlite *.db);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.database.setText(path)

    def _restore_defaults(self) -> None:
        self.database.clear()
        self.rules.show_rules(RoundRules())

    def accept(self) -> None:
        try:
            chosen = preferences.Preferences(self.database.text().strip(), self.rules.rules())
        except BadInput as error:
            show_bad_input(self, "Settings", error)
            return
        preferences.save(chosen, self.store)
        super().accept()
