"""File ▸ Open database…, Open a hub…, and Open recent: choosing which database to work on.

The window does not open databases itself: it emits what was chosen and the app (ui/app.py)
opens it in a new window, asking who is acting there. The recent list lives in the user's
preferences; a hub's URL is kept without its password.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMenu, QWidget

from panel_desk import preferences
from panel_desk.paths import default_database_path

FILES = "panel_desk databases (*.sqlite *.db *.sqlite3);;All files (*)"


def choose_database_file(parent: QWidget) -> str | None:
    """A database file to open (a new name makes a new, empty database)."""
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Open database",
        str(default_database_path().parent),
        FILES,
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    return path or None


def choose_hub_url(parent: QWidget) -> str | None:
    url, ok = QInputDialog.getText(
        parent,
        "Open a hub",
        "The hub's database URL, e.g. postgresql+psycopg://user@server/panel_desk\n"
        "(a password is best kept in ~/.pgpass, not typed here):",
        QLineEdit.EchoMode.Normal,
    )
    return url.strip() if ok and url.strip() else None


class RecentMenu(QMenu):
    """The databases opened lately, newest first; rebuilt each time it opens."""

    chosen = Signal(str)

    def __init__(self, store: QSettings, current: str, parent: QWidget | None = None) -> None:
        super().__init__("Open &recent", parent)
        self.setObjectName("recentMenu")
        self.store = store
        self.current = current
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        recent = preferences.recent_databases(self.store)
        for number, name in enumerate(recent, start=1):
            shown = name if "://" in name else f"{Path(name).name} — {Path(name).parent}"
            prefix = f"&{number} " if number < 10 else ""
            action = QAction(prefix + shown.replace("&", "&&"), self)
            action.setData(name)
            action.setToolTip(name)
            action.setEnabled(name != self.current)
            action.triggered.connect(lambda _checked=False, name=name: self.chosen.emit(name))
            self.addAction(action)
        if not recent:
            self.addAction("No databases opened yet").setEnabled(False)
            return
        self.addSeparator()
        self.addAction("&Clear the list", self._clear)

    def names(self) -> list[str]:
        return [a.data() for a in self.actions() if a.data()]

    def _clear(self) -> None:
        for name in preferences.recent_databases(self.store):
            if name != self.current:
                preferences.forget_database(name, self.store)
        self.rebuild()
