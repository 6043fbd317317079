"""The first thing a new user meets: a database with nobody on its roster yet.

Nobody can act in it until people arrive, so instead of the main window it says what to do
first (load the demo to look around, import the roster for real work, import the packet
the secretariat sent a reviewer, or open another database) and does it from here, off the
GUI thread with progress and Cancel. Once the database has people, the app opens the main
window on it (ui/app.py listens to `filled`).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import demo, keys, roster
from panel_desk.services.database import Database
from panel_desk.services.exchange import packet_import
from panel_desk.ui.colours import make_quiet
from panel_desk.ui.database_menu import RecentMenu, choose_database_file, choose_hub_url
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.help.about import show_about
from panel_desk.ui.runner import run_in_background


class WelcomeWindow(QMainWindow):
    open_requested = Signal(str)  # another database chosen
    filled = Signal()  # this database now has people: open the main window on it
    settings_requested = Signal()

    def __init__(self, db: Database, store: QSettings) -> None:
        super().__init__()
        self.setObjectName("welcomeWindow")
        self.db = db
        self.store = store
        self.setWindowTitle(f"panel_desk — {db.display_name}")
        self.resize(900, 640)

        self.explanations: dict[QPushButton, QLabel] = {}
        heading = QLabel("<h2>This database is empty</h2>")
        heading.setObjectName("welcomeHeading")
        where = make_quiet(QLabel(escape(db.display_name)))
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        intro = QLabel(
            "Nobody is on its roster yet, so there is no one to act as. Choose how to begin:"
        )
        intro.setWordWrap(True)
        self.demo_button = self._step(
            "Load the &demo",
            "A realistic Centre to look around in: four calls at every stage, reviews, "
            "moderation and a signed-off round. Best in a database of its own.",
            self.load_demo,
        )
        self.roster_button = self._step(
            "Import the &roster…",
            "The secretariat's first step: roster.csv lists people, roles, expertise and "
            "affiliations. Then open a round (Round ▸ New round…) and import its submissions.",
            self.import_roster,
        )
        self.packet_button = self._step(
            "Import a review &packet…",
            "A reviewer's first step: the .pdpacket file the secretariat sent you.",
            self.import_packet,
        )
        self.open_button = self._step(
            "&Open another database…",
            "The hub's database, or your copy as a reviewer.",
            self.open_other,
        )
        body = QWidget()
        body.setObjectName("welcome")
        body.setFixedWidth(720)
        layout = QVBoxLayout(body)
        layout.addWidget(heading)
        layout.addWidget(where)
        layout.addSpacing(8)
        layout.addWidget(intro)
        layout.addSpacing(8)
        steps = QGridLayout()
        steps.setHorizontalSpacing(16)
        steps.setVerticalSpacing(14)
        steps.setColumnStretch(1, 1)
        for row, button in enumerate(self.explanations):
            button.setFixedWidth(230)
            steps.addWidget(button, row, 0, Qt.AlignmentFlag.AlignTop)
            explanation = self.explanations[button]
            explanation.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            explanation.setMinimumHeight(explanation.fontMetrics().lineSpacing() * 3 + 2)
            steps.addWidget(explanation, row, 1)  # no cell alignment: it would cut the wrap
        layout.addLayout(steps)
        outer = QWidget()
        outer_layout = QVBoxLayout(outer)
        outer_layout.setContentsMargins(24, 48, 24, 24)
        outer_layout.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
        outer_layout.addStretch(1)
        self.setCentralWidget(outer)
        self._menus()
        self.statusBar().showMessage("Nothing to show until the roster has people")

    def _step(self, text: str, explanation: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setMinimumHeight(34)
        button.clicked.connect(lambda: slot())
        label = QLabel(explanation)
        label.setWordWrap(True)
        self.explanations[button] = label
        button.setToolTip(explanation)
        return button

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open database…", self)
        open_action.setShortcut(QKeySequence("Ctrl+O"))
        open_action.triggered.connect(self.open_other)
        self.recent_menu = RecentMenu(self.store, self.db.display_name, self)
        self.recent_menu.chosen.connect(self.open_requested)
        hub = QAction("Open a &hub…", self)
        hub.triggered.connect(self._open_hub)
        settings = QAction("&Settings…", self)
        settings.setShortcut(QKeySequence("Ctrl+,"))
        settings.triggered.connect(self.settings_requested)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addActions([open_action, hub])
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([settings, quit_action])
        about = QAction("&About panel_desk", self)
        about.triggered.connect(lambda: show_about(self, self.db.display_name, self.store))
        self.menuBar().addMenu("&Help").addAction(about)
        for action in (open_action, settings, quit_action):
            self.addAction(action)

    # --- the steps ------------------------------------------------------------------------

    def _fill(self, title: str, work: Callable[[Callable[[int, int, str], None]], Any]) -> bool:
        """Run `work(progress)` off the GUI thread; True when it filled the database."""
        try:
            run_in_background(self, title, work)
        except keys.NoSecureKeyring as error:
            show_bad_input(self, title, BadInput(error.source, error.problem))
            return False
        except BadInput as error:
            show_bad_input(self, title, error)
            return False
        except Cancelled:
            self.statusBar().showMessage(f"{title}: cancelled, nothing was changed", 10_000)
            return False
        self.filled.emit()
        return True

    def load_demo(self) -> bool:
        return self._fill(
            "Loading the demo", lambda progress: demo.build_demo(self.db, progress=progress)
        )

    def import_roster(self, path: Path | None = None) -> bool:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Import roster", "", "CSV files (*.csv)")
            if not chosen:
                return False
            path = Path(chosen)
        actor = f"local:{getpass.getuser()}"
        source = path

        def work(progress: Callable[[int, int, str], None]) -> object:
            progress(0, 1, "Importing the roster")
            with self.db.transaction() as session:
                result = roster.import_roster(session, source, actor)
                progress(1, 1, "Saving")
            return result

        return self._fill("Importing the roster", work)

    def import_packet(self, path: Path | None = None) -> bool:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Import a packet", "", "Packets (*.pdpacket);;All files (*)"
            )
            if not chosen:
                return False
            path = Path(chosen)
        source = path

        def work(progress: Callable[[int, int, str], None]) -> object:
            with self.db.transaction() as session:
                result = packet_import.import_packet(session, source, progress=progress)
                progress(1, 1, "Saving")
            return result

        return self._fill("Importing the packet", work)

    def open_other(self) -> None:
        chosen = choose_database_file(self)
        if chosen:
            self.open_requested.emit(chosen)

    def _open_hub(self) -> None:
        url = choose_hub_url(self)
        if url:
            self.open_requested.emit(url)
