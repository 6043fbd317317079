"""The main window: the rounds navigator beside the pages the acting role may use.

It composes; it does not own behaviour. Pages (ui/views.py) show the current round and
do their own work through services; the window keeps the menus, the status bar, and the
layout in QSettings (geometry, splitters, table columns, the last round and page). Pages
are built the first time they are shown (ui/lazy_page.py): `pages` and `page(title)` build
them on demand, so the window appears after building one page, not fourteen. Edit ▸
Undo acts on the current page's undo stack (ui/edit_menu.py); while there are no rounds the
pages give way to what to do first (ui/help/first_steps.py). Opening another database is
the app's work (ui/app.py): the window only says which was chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QWidget,
)

from panel_desk.services import rounds
from panel_desk.services.vocabulary import Role
from panel_desk.ui.backup_actions import add_backup_actions
from panel_desk.ui.database_menu import RecentMenu, choose_database_file, choose_hub_url
from panel_desk.ui.edit_menu import PageUndo
from panel_desk.ui.help.first_steps import FirstSteps
from panel_desk.ui.help.shortcuts import ShortcutsDialog
from panel_desk.ui.lazy_page import lazy
from panel_desk.ui.rounds.navigator import RoundsNavigator
from panel_desk.ui.submissions.detail import SubmissionDetailPane
from panel_desk.ui.submissions.page import SubmissionsPage
from panel_desk.ui.submissions.view import SubmissionsView
from panel_desk.ui.views import PageFactory, RoundPage
from panel_desk.ui.workspace import Workspace

# The dialogs behind menu commands (import files, new round, settings, about) are imported
# when first used, in the methods below: none of them is needed to show the window.

SETTINGS_GEOMETRY = "main_window/geometry"
SETTINGS_STATE = "main_window/state"
SETTINGS_SPLITTER = "main_window/splitter"
SETTINGS_PAGE_SPLITTER = "main_window/submissions_splitter"
SETTINGS_TABLE = "main_window/submissions_header"
SETTINGS_ROUND = "main_window/round"
SETTINGS_PAGE = "main_window/page"

SECRETARIAT, EAG, MODERATOR, REVIEWER = Role.SECRETARIAT, Role.EAG, Role.MODERATOR, Role.REVIEWER

PAGES: list[PageFactory] = [
    lazy("panel_desk.ui.review_editor.page:MyReviewsPage", "My reviews", REVIEWER),
    lazy("panel_desk.ui.returns.laptop_page:LaptopExchangePage", "Packets and returns", REVIEWER),
    SubmissionsPage,
    lazy("panel_desk.ui.conflicts.page:ConflictsPage", "Conflicts", SECRETARIAT),
    lazy("panel_desk.ui.assignment.page:AssignmentPage", "Assignment", SECRETARIAT),
    lazy("panel_desk.ui.returns.page:ReturnsPage", "Returns", SECRETARIAT),
    lazy("panel_desk.ui.moderation.page:ModerationPage", "Moderation", MODERATOR, SECRETARIAT, EAG),
    lazy(
        "panel_desk.ui.moderation.ranking_page:RankingPage", "Ranking", MODERATOR, SECRETARIAT, EAG
    ),
    lazy("panel_desk.ui.signoff.page:SignOffPage", "Sign-off", EAG, SECRETARIAT),
    lazy("panel_desk.ui.appeals.page:AppealsPage", "Appeals", SECRETARIAT),
    lazy("panel_desk.ui.registers.page:RegistersPage", "Registers", SECRETARIAT, EAG),
    lazy(
        "panel_desk.ui.lineage.page:CredentialHistoryPage",
        "Credential history",
        SECRETARIAT,
        EAG,
        MODERATOR,
    ),
    lazy("panel_desk.ui.evaluation.page:EvaluationPage", "Evaluation", SECRETARIAT, EAG),
    lazy("panel_desk.ui.audit.page:AuditPage", "Audit", SECRETARIAT, EAG),
]
"""Every page, in tab order; a capability adds its page here: its class, or (so that it is
imported only when first shown) `lazy("module:Class", title, roles…)`."""


class MainWindow(QMainWindow):
    open_requested = Signal(str)  # another database (a path or URL) chosen to work on

    def __init__(
        self,
        workspace: Workspace,
        settings: QSettings | None = None,
        pages: Sequence[PageFactory] | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.settings = settings or QSettings()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"panel_desk — {workspace.db.display_name}")
        self.resize(1440, 900)

        self.navigator = RoundsNavigator()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pages")
        self.tabs.setDocumentMode(True)
        self.factories = [
            f for f in (pages if pages is not None else PAGES) if workspace.role in f.roles
        ]
        self._built: dict[int, QWidget] = {}  # tab index → page; the rest hold a stand-in
        for factory in self.factories:
            stand_in = QWidget()
            stand_in.setObjectName("pageNotYetBuilt")
            self.tabs.addTab(stand_in, factory.title)
        self.undo = PageUndo(self, [])
        self.page_stack = QStackedWidget()  # the pages, or what to do first without rounds
        self.page_stack.addWidget(self.tabs)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(self.page_stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([250, 1190])
        self.setCentralWidget(self.splitter)

        self.acting = QLabel()
        self.acting.setObjectName("actingAs")
        self.database_label = QLabel(workspace.db.display_name)
        self.database_label.setObjectName("databaseLabel")
        self.statusBar().addPermanentWidget(self.database_label)
        self._build_actions()
        self._show_acting()
        self.first_steps = FirstSteps(
            workspace.role,
            [
                self.new_round_action,
                self.import_roster_action,
                self.open_database_action,
            ],
        )
        self.page_stack.addWidget(self.first_steps)

        self._stale: set[QWidget] = set()  # pages not yet showing the current round
        self._rounds_chosen = 0  # how often the navigator has said which round
        self.navigator.round_chosen.connect(self._round_chosen)
        self.tabs.currentChanged.connect(self._page_changed)
        self._restore()
        self._build(self.tabs.currentIndex())
        self.undo.page_shown(self.tabs.currentWidget())
        self.reload()

    # --- pages, built as they are first shown ----------------------------------------------

    @property
    def pages(self) -> list[QWidget]:
        """Every page the acting role has, in tab order (building those not yet built)."""
        return [self._build(index) for index in range(len(self.factories))]

    def built_pages(self) -> list[QWidget]:
        return [self._built[index] for index in sorted(self._built)]

    def page(self, title: str) -> QWidget:
        index = next(n for n, f in enumerate(self.factories) if f.title == title)
        return self._build(index)

    def _build(self, index: int) -> QWidget:
        """The page at tab `index`, built (in place of its stand-in) if it is not yet."""
        page = self._built.get(index)
        if page is not None or index < 0:
            return page  # type: ignore[return-value]  (index -1: no tabs at all)
        factory = self.factories[index]
        # Made as the tab widget's child: a page made without a parent is a window of its
        # own until the tab takes it, and (the main window being shown) takes the focus.
        page = factory(self.workspace, self.tabs)
        assert isinstance(page, RoundPage), f"{factory} is not a RoundPage"
        self._built[index] = page
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)  # the page is swapped in, not newly chosen
        try:
            stand_in = self.tabs.widget(index)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, factory.title)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        stand_in.deleteLater()
        status = getattr(page, "status", None)
        if status is not None:
            status.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.undo.add_page(page)
        if isinstance(page, SubmissionsPage):
            self._restore_submissions(page)
        self._stale.add(page)  # shows the current round when it is shown
        return page

    # --- the Submissions page, which every role has ---------------------------------------

    @property
    def submissions_page(self) -> SubmissionsPage:
        index = next(n for n, f in enumerate(self.factories) if f is SubmissionsPage)
        page = self._build(index)
        assert isinstance(page, SubmissionsPage)
        return page

    @property
    def submissions(self) -> SubmissionsView:
        return self.submissions_page.submissions

    @property
    def detail(self) -> SubmissionDetailPane:
        return self.submissions_page.detail

    # --- actions and menus ---------------------------------------------------------------

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            # Explicit sequences: some platforms (offscreen, minimal) define no standard keys.
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
        self.new_round_action = self._action(
            "&New round…",
            self._new_round,
            "Ctrl+N",
            "Open a round at a stage, with its rules for conflicts and sign-off",
        )
        for action in (
            self.import_roster_action,
            self.import_submissions_action,
            self.screening_action,
            self.new_round_action,
        ):
            action.setEnabled(secretariat)
        self.open_database_action = self._action(
            "&Open database…",
            self._open_database,
            "Ctrl+O",
            "Work on another database file (a new name makes a new, empty one)",
        )
        open_hub = self._action(
            "Open a &hub…", self._open_hub, tip="Work on the secretariat's hub on a server"
        )
        self.recent_menu = RecentMenu(self.settings, self.workspace.db.display_name, self)
        self.recent_menu.chosen.connect(self.open_requested)
        self.settings_action = self._action(
            "&Settings…",
            self._show_settings,
            "Ctrl+,",
            "The default database, and the rules new rounds start with",
        )
        quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.filter_action = self._action("&Filter submissions", self._focus_filter, "Ctrl+F")
        rounds_action = self._action("Go to the &rounds", self.navigator.setFocus, "Ctrl+1")
        page_actions = [
            self._action(
                f"Show {factory.title}",
                lambda _checked=False, index=index: self._show_page(index),
                f"Alt+{index + 1}" if index < 9 else None,  # Alt+1 to Alt+9
            )
            for index, factory in enumerate(self.factories)
        ]
        next_round = self._action("&Next round", lambda: self.navigator.step(1), "Ctrl+PgDown")
        previous_round = self._action(
            "&Previous round", lambda: self.navigator.step(-1), "Ctrl+PgUp"
        )
        refresh = self._action("&Refresh", self.reload, "F5")
        shortcuts = self._action("&Keyboard shortcuts", self.show_shortcuts, "F1")
        about = self._action("&About panel_desk", self._show_about)
        for action in (self.undo.undo_action, self.undo.redo_action):
            self.addAction(action)

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.open_database_action, open_hub])
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.import_roster_action, self.import_submissions_action])
        add_backup_actions(file_menu, self)
        file_menu.addSeparator()
        file_menu.addActions([self.settings_action, quit_action])
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([self.undo.undo_action, self.undo.redo_action])
        round_menu = menus.addMenu("&Round")
        round_menu.addActions([self.new_round_action, self.screening_action])
        round_menu.addSeparator()
        round_menu.addActions([next_round, previous_round])
        view_menu = menus.addMenu("&View")
        view_menu.addActions([self.filter_action, rounds_action, *page_actions, refresh])
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

    def _show_page(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        self.tabs.currentWidget().setFocus()

    # --- loading -------------------------------------------------------------------------

    def reload(self, select: str = "") -> None:
        """Read rounds, and the current page's view of the current round (or of `select`),
        again."""
        summaries = self.workspace.read(rounds.list_rounds)
        current = (
            select or self.navigator.current_ref() or str(self.settings.value(SETTINGS_ROUND, ""))
        )
        chosen_before = self._rounds_chosen
        self.navigator.show_rounds(summaries, current)
        self.page_stack.setCurrentWidget(self.tabs if summaries else self.first_steps)
        if not summaries:
            self._stale.clear()
            for page in self.built_pages():
                page.show_round(None)
        elif self._rounds_chosen == chosen_before and current == self.navigator.current_ref():
            self._round_chosen(current)  # the same round: the navigator did not signal
        self._update_status()

    def _current_summary(self) -> rounds.RoundSummary | None:
        return self.navigator.rounds.find(self.navigator.current_ref())

    def _round_chosen(self, ref: str) -> None:
        self._rounds_chosen += 1
        summary = self.navigator.rounds.find(ref)
        if summary is None:
            return
        page = self._build(self.tabs.currentIndex())
        if page is not None:
            self._stale.discard(page)
            page.show_round(summary)
        self._stale = {p for p in self.built_pages() if p is not page}
        self.settings.setValue(SETTINGS_ROUND, ref)
        self._update_status()

    def _page_changed(self, index: int) -> None:
        page = self._build(index)
        self.undo.page_shown(page)
        if page in self._stale:
            self._stale.discard(page)
            page.show_round(self._current_summary())
        self.settings.setValue(SETTINGS_PAGE, self.factories[index].title if page else "")

    def _update_status(self) -> None:
        summary = self._current_summary()
        text = f"{summary.ref}: {summary.submissions} submissions" if summary else "No round"
        self.statusBar().showMessage(text)

    # --- commands ------------------------------------------------------------------------

    def _focus_filter(self) -> None:
        self.tabs.setCurrentWidget(self.submissions_page)
        self.submissions.filter.setFocus()
        self.submissions.filter.selectAll()

    def _after_change(self, message: str | None) -> None:
        if message:
            self.reload()
            self.statusBar().showMessage(message, 10_000)

    def _import_roster(self) -> None:
        from panel_desk.ui.rounds import setup

        self._after_change(setup.import_roster(self, self.workspace))

    def _import_submissions(self) -> None:
        ref = self.navigator.current_ref()
        if ref:
            from panel_desk.ui.rounds import setup

            self._after_change(setup.import_submissions(self, self.workspace, ref))

    def _run_screening(self) -> None:
        ref = self.navigator.current_ref()
        if ref:
            from panel_desk.ui.rounds import setup

            self._after_change(setup.run_screening(self, self.workspace, ref))

    def _new_round(self) -> None:
        from panel_desk.ui.rounds.new_round import new_round

        ref = new_round(self, self.workspace, self.settings)
        if ref:
            self.reload(select=ref)
            self.statusBar().showMessage(
                f"Round {ref} opened: import its submissions next (Ctrl+I)", 10_000
            )

    def _open_database(self) -> None:
        chosen = choose_database_file(self)
        if chosen:
            self.open_requested.emit(chosen)

    def _open_hub(self) -> None:
        url = choose_hub_url(self)
        if url:
            self.open_requested.emit(url)

    def _show_settings(self) -> None:
        from panel_desk.ui.settings.dialog import SettingsDialog

        SettingsDialog(self.settings, self).exec()

    def _show_about(self) -> None:
        from panel_desk.ui.help.about import show_about

        show_about(self, self.workspace.db.display_name, self.settings)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Every page's shortcuts are listed, so every page is built first."""
        from panel_desk.ui.help.shortcuts import registered_shortcuts

        dialog = ShortcutsDialog(registered_shortcuts(self, self.pages), self)
        dialog.open()
        return dialog

    # --- window state --------------------------------------------------------------------

    def _restore_each(self, restored: list[tuple[str, Callable[[QByteArray], object]]]) -> None:
        for key, restore in restored:
            value = self.settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def _restore(self) -> None:
        self._restore_each(
            [
                (SETTINGS_GEOMETRY, self.restoreGeometry),
                (SETTINGS_STATE, self.restoreState),
                (SETTINGS_SPLITTER, self.splitter.restoreState),
            ]
        )
        title = str(self.settings.value(SETTINGS_PAGE, ""))
        for index, factory in enumerate(self.factories):
            if factory.title == title:
                self.tabs.setCurrentIndex(index)

    def _restore_submissions(self, page: SubmissionsPage) -> None:
        self._restore_each(
            [
                (SETTINGS_PAGE_SPLITTER, page.splitter.restoreState),
                (SETTINGS_TABLE, page.submissions.table.horizontalHeader().restoreState),
            ]
        )

    def save_state(self) -> None:
        self.settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self.settings.setValue(SETTINGS_STATE, self.saveState())
        self.settings.setValue(SETTINGS_SPLITTER, self.splitter.saveState())
        page = next((p for p in self.built_pages() if isinstance(p, SubmissionsPage)), None)
        if page is not None:  # not built: its layout was not changed, keep the one saved
            self.settings.setValue(SETTINGS_PAGE_SPLITTER, page.splitter.saveState())
            header = page.submissions.table.horizontalHeader()
            self.settings.setValue(SETTINGS_TABLE, header.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
