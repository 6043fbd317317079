"""The main window: composes the rounds navigator, the submissions table and the detail pane.

It wires views to services and owns the menus; the views themselves hold no behaviour
beyond their own display. Window geometry, splitter and table layout, and the last round
are kept in QSettings.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from panel_desk import __version__
from panel_desk.errors import BadInput
from panel_desk.services import rounds, submission_views
from panel_desk.services.vocabulary import Role
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.rounds import setup
from panel_desk.ui.rounds.navigator import RoundsNavigator
from panel_desk.ui.submissions.detail import SubmissionDetailPane
from panel_desk.ui.submissions.view import SubmissionsView
from panel_desk.ui.workspace import Workspace

SETTINGS_GEOMETRY = "main_window/geometry"
SETTINGS_STATE = "main_window/state"
SETTINGS_SPLITTER = "main_window/splitter"
SETTINGS_TABLE = "main_window/submissions_header"
SETTINGS_ROUND = "main_window/round"


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace, settings: QSettings | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.settings = settings or QSettings()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"panel_desk — {workspace.db.display_name}")
        self.resize(1440, 900)

        self.navigator = RoundsNavigator()
        self.submissions = SubmissionsView()
        self.detail = SubmissionDetailPane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(self.submissions)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([250, 800, 390])
        self.setCentralWidget(self.splitter)

        self.acting = QLabel()
        self.acting.setObjectName("actingAs")
        self.database_label = QLabel(workspace.db.display_name)
        self.database_label.setObjectName("databaseLabel")
        self.statusBar().addPermanentWidget(self.database_label)
        self._build_actions()
        self._show_acting()

        self.navigator.round_chosen.connect(self._round_chosen)
        self.submissions.submission_chosen.connect(self._submission_chosen)
        self.detail.document_requested.connect(self._open_document)
        self._restore()
        self.reload()

    # --- actions and menus ---------------------------------------------------------------

    def _action(
        self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        secretariat = self.workspace.role == Role.SECRETARIAT
        self.import_roster_action = self._action(
            "Import &roster…",
            self._import_roster,
            "Ctrl+Shift+R",
            "Import people, roles, expertise and affiliations from roster.csv",
        )
        self.import_submissions_action = self._action(
            "Import &submissions…",
            self._import_submissions,
            "Ctrl+I",
            "Import submissions.csv and its documents into the current round",
        )
        self.screening_action = self._action(
            "Run &screening",
            self._run_screening,
            "Ctrl+R",
            "Check every submission of the round for missing fields and documents",
        )
        for action in (
            self.import_roster_action,
            self.import_submissions_action,
            self.screening_action,
        ):
            action.setEnabled(secretariat)
        quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.filter_action = self._action(
            "&Filter submissions", self._focus_filter, "Ctrl+F"
        )
        self.table_action = self._action("Go to the &table", self._focus_table, "Ctrl+2")
        self.rounds_action = self._action("Go to the &rounds", self.navigator.setFocus, "Ctrl+1")
        self.detail_action = self._action("Go to the &detail", self.detail.setFocus, "Ctrl+3")
        next_round = self._action("&Next round", lambda: self.navigator.step(1), "Ctrl+PgDown")
        previous_round = self._action(
            "&Previous round", lambda: self.navigator.step(-1), "Ctrl+PgUp"
        )
        refresh = self._action("&Refresh", self.reload, "F5")
        shortcuts = self._action(
            "&Keyboard shortcuts", self._show_shortcuts, "F1"
        )
        about = self._action("&About panel_desk", self._about)

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.import_roster_action, self.import_submissions_action])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        round_menu = menus.addMenu("&Round")
        round_menu.addActions([self.screening_action, next_round, previous_round])
        view_menu = menus.addMenu("&View")
        view_menu.addActions(
            [self.filter_action, self.rounds_action, self.table_action, self.detail_action, refresh]
        )
        help_menu = menus.addMenu("&Help")
        help_menu.addActions([shortcuts, about])

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions(
            [
                self.import_roster_action,
                self.import_submissions_action,
                self.screening_action,
                refresh,
            ]
        )
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.acting)
        self.addToolBar(toolbar)

    def _show_acting(self) -> None:
        person, role = self.workspace.person, self.workspace.role
        self.acting.setText(f"Acting as <b>{person.name}</b> · {role.label}  ")
        self.acting.setToolTip(f"{person.email}\nRestart panel_desk to act as someone else.")

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Read rounds (and the current round's submissions) again from the database."""
        summaries = self.workspace.read(rounds.list_rounds)
        current = self.navigator.current_ref() or str(self.settings.value(SETTINGS_ROUND, ""))
        if not summaries:
            self.submissions.show_rows(
                [],
                "No rounds yet.\n\nOpen one with `panel-desk round create`, or try the "
                "demo with `panel-desk demo`.",
            )
            self.detail.show_nothing("Nothing to show until a round has submissions.")
        self.navigator.show_rounds(summaries, current)
        if current and current == self.navigator.current_ref():
            self._round_chosen(current)  # same round: the navigator did not signal
        self._update_status()

    def _round_chosen(self, ref: str) -> None:
        summary = self.navigator.rounds.find(ref)
        if summary is None:
            return
        rows = self.workspace.read(
            submission_views.list_submissions, summary.id, self.workspace.viewer
        )
        if self.workspace.role == Role.REVIEWER:
            empty = f"No submissions in {ref} are assigned to you."
        else:
            empty = (
                f"No submissions in {ref} yet.\n\nImport submissions.csv with "
                "File ▸ Import submissions… (Ctrl+I)."
            )
        self.submissions.show_rows(rows, empty)
        self.settings.setValue(SETTINGS_ROUND, ref)
        self._update_status()

    def _submission_chosen(self, submission_id: int) -> None:
        if submission_id < 0:
            self.detail.show_nothing(
                "Choose a submission to see its fields, documents and screening."
            )
            return
        try:
            detail = self.workspace.read(
                submission_views.submission_detail, submission_id, self.workspace.viewer
            )
        except BadInput as error:
            self.detail.show_nothing(str(error))
            return
        self.detail.show_detail(detail)

    def _update_status(self) -> None:
        ref = self.navigator.current_ref()
        model = self.submissions.model
        text = f"{ref}: {model.total} submissions" if ref else "No round chosen"
        self.statusBar().showMessage(text)

    # --- commands ------------------------------------------------------------------------

    def _focus_filter(self) -> None:
        self.submissions.filter.setFocus()
        self.submissions.filter.selectAll()

    def _focus_table(self) -> None:
        self.submissions.table.setFocus()

    def _after_change(self, message: str | None) -> None:
        if message:
            self.reload()
            self.statusBar().showMessage(message, 10_000)

    def _import_roster(self) -> None:
        self._after_change(setup.import_roster(self, self.workspace))

    def _import_submissions(self) -> None:
        ref = self.navigator.current_ref()
        if ref:
            self._after_change(setup.import_submissions(self, self.workspace, ref))

    def _run_screening(self) -> None:
        ref = self.navigator.current_ref()
        if ref:
            self._after_change(setup.run_screening(self, self.workspace, ref))

    def _open_document(self, document_id: int) -> None:
        try:
            path = self.workspace.read(
                submission_views.copy_document_for_viewing, document_id, self.workspace.viewer
            )
        except BadInput as error:
            show_bad_input(self, "Open document", error)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.statusBar().showMessage(f"No application opens {path.name}; saved at {path}")

    def _show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setObjectName("shortcutsDialog")
        dialog.setWindowTitle("Keyboard shortcuts")
        actions = [a for a in self.actions() if not a.shortcut().isEmpty()]
        table = QTableWidget(len(actions), 2)
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, action in enumerate(actions):
            table.setItem(row, 0, QTableWidgetItem(action.text().replace("&", "")))
            table.setItem(
                row,
                1,
                QTableWidgetItem(
                    action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                ),
            )
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(
            QLabel(
                "In the table: arrow keys move, typing jumps to a ref, Tab reaches the detail pane."
            )
        )
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(460, 420)
        dialog.exec()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About panel_desk",
            f"<b>panel_desk {__version__}</b><p>Offline review panels for credential approval "
            "and assurance: screening, conflicts of interest, peer review, moderation, "
            "sign-off and signed decision packs.</p>",
        )

    # --- window state --------------------------------------------------------------------

    def _restore(self) -> None:
        for key, restore in (
            (SETTINGS_GEOMETRY, self.restoreGeometry),
            (SETTINGS_STATE, self.restoreState),
            (SETTINGS_SPLITTER, self.splitter.restoreState),
            (SETTINGS_TABLE, self.submissions.table.horizontalHeader().restoreState),
        ):
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def save_state(self) -> None:
        self.settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self.settings.setValue(SETTINGS_STATE, self.saveState())
        self.settings.setValue(SETTINGS_SPLITTER, self.splitter.saveState())
        self.settings.setValue(
            SETTINGS_TABLE, self.submissions.table.horizontalHeader().saveState()
        )
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
