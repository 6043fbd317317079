"""Fixtures for driving the real widgets: a main window on a demo database, as someone."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sized
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton, QWidget

from panel_desk.services import roster
from panel_desk.services.database import Database
from panel_desk.services.vocabulary import Role
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.workspace import Workspace


def workspace_as(db: Database, role: Role, email: str | None = None) -> Workspace:
    people = db.read(roster.list_people)
    person = next(p for p in people if (p.email == email if email else role in p.roles))
    return Workspace(db, person, role)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(
    qtbot, demo_db: Database, settings: QSettings
) -> Iterator[Callable[..., MainWindow]]:
    """Open the main window on the demo as someone in `role` (default: the secretariat)."""

    def open_(
        role: Role = Role.SECRETARIAT, email: str | None = None, db: Database | None = None
    ) -> MainWindow:
        window = MainWindow(workspace_as(db or demo_db, role, email), settings)
        qtbot.addWidget(window)
        window.show()
        activate(qtbot, window)
        return window

    yield open_


def activate(qtbot, window: QWidget) -> None:
    """Make `window` the active window, as a click on it would: shortcuts need it."""
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def answer_next_modal(qtbot, handle: Callable[[QWidget], None]) -> list[QWidget]:
    """Arrange for `handle` to be called with the next modal dialog once it is shown
    (it must close it); returns a list that then holds the dialog."""
    seen: list[QWidget] = []

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or modal in seen:
            QTimer.singleShot(20, poll)
            return
        seen.append(modal)
        handle(modal)

    QTimer.singleShot(20, poll)
    return seen


def cancel_after(qtbot, updates: Sized, after: int) -> list[str]:
    """Click Cancel in the next progress dialog once `updates` (a list the test fills as
    progress comes) holds `after` of them; returns a list then holding the dialog's label."""
    cancelled: list[str] = []

    def cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, QProgressDialog)
        if len(updates) < after:
            QTimer.singleShot(5, lambda: cancel(dialog))
            return
        cancelled.append(dialog.labelText())
        qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)

    answer_next_modal(qtbot, cancel)
    return cancelled
