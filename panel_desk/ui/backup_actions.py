"""File ▸ Back up… and File ▸ Restore from backup…: services/backup.py from the window.

Back up writes the open database and its documents to one file (SQLite's online backup,
so the app goes on working), with progress and Cancel. Restore checks the chosen backup
whole first (a damaged or hostile file is refused with the reason, and nothing changes),
says what it holds and asks before replacing the open database (which is kept aside as a
copy), then has the window reopen the database so every page shows what was restored.

The main window's File menu belongs to the window; `add_backup_actions(menu, window)`
adds these two to it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QStatusBar, QWidget

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import backup
from panel_desk.services.backup import BackupSummary
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

FILTER = "panel_desk backups (*.pdbackup);;All files (*)"


class BackupWindow(Protocol):
    """What the actions need of the window they are added to (MainWindow has it)."""

    workspace: Workspace
    open_requested: SignalInstance

    def statusBar(self) -> QStatusBar: ...


def add_backup_actions(menu: QMenu, window: BackupWindow) -> list[QAction]:
    """Add Back up… and Restore from backup… to `menu`, acting on `window`'s database."""
    parent = window if isinstance(window, QWidget) else None
    back_up = QAction("Back &up…", parent)
    back_up.setObjectName("backupAction")
    back_up.setStatusTip("Write the database and its documents to one backup file")
    back_up.triggered.connect(lambda: back_up_database(window))
    restore = QAction("Res&tore from backup…", parent)
    restore.setObjectName("restoreAction")
    restore.setStatusTip("Check a backup file, then replace this database with what it holds")
    restore.triggered.connect(lambda: restore_database(window))
    menu.addSeparator()
    menu.addActions([back_up, restore])
    return [back_up, restore]


def _suggested_name(window: BackupWindow) -> str:
    db = window.workspace.db
    stem = db.path.stem if db.path is not None else "panel-desk"
    folder = db.path.parent if db.path is not None else Path.home()
    return str(folder / f"{stem}-{date.today():%Y-%m-%d}.pdbackup")


def back_up_database(window: BackupWindow) -> Path | None:
    """Ask where, then write the backup with progress; the file written, or None."""
    parent = window if isinstance(window, QWidget) else None
    chosen, _ = QFileDialog.getSaveFileName(
        parent,
        "Back up the database",
        _suggested_name(window),
        FILTER,
        options=QFileDialog.Option.DontConfirmOverwrite,  # an existing file is refused below
    )
    if not chosen:
        return None
    out = Path(chosen)
    db = window.workspace.db
    try:
        result = run_in_background(
            parent,
            f"Backing up to {out.name}",
            lambda progress: backup.make_backup(db, out, progress),
        )
    except BadInput as error:
        show_bad_input(parent, "Back up", error)
        return None
    except Cancelled:
        window.statusBar().showMessage("Backup cancelled: no file was written", 10_000)
        return None
    window.statusBar().showMessage(
        f"Backed up to {out}: {result.documents} documents, {result.events} audit events",
        15_000,
    )
    if result.missing or not result.intact:
        problems = []
        if not result.intact:
            problems.append("The audit trail does not verify: the backup records it as it is.")
        if result.missing:
            problems.append(
                f"{len(result.missing)} documents are missing from the document store and "
                "are not in the backup."
            )
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Backup written", " ".join(problems), parent=parent
        )
        box.setObjectName("backupWarning")
        box.exec()
    return out


def restore_database(window: BackupWindow) -> bool:
    """Choose a backup, check it whole, ask, restore it over this database, reopen it."""
    parent = window if isinstance(window, QWidget) else None
    db = window.workspace.db
    chosen, _ = QFileDialog.getOpenFileName(
        parent, "Restore from a backup", str(db.path.parent if db.path else Path.home()), FILTER
    )
    if not chosen:
        return False
    path = Path(chosen)
    try:
        summary: BackupSummary = run_in_background(
            parent, f"Checking {path.name}", lambda progress: backup.verify_backup(path, progress)
        )
    except BadInput as error:
        show_bad_input(parent, "Restore from backup", error)
        return False
    except Cancelled:
        return False
    if not _confirmed(parent, summary, db.display_name):
        return False
    me = window.workspace.person.email
    try:
        result = run_in_background(
            parent,
            f"Restoring {path.name}",
            lambda _progress: backup.restore_backup(path, db.url, me),
        )
    except BadInput as error:
        show_bad_input(parent, "Restore from backup", error)
        return False
    window.statusBar().showMessage(str(result), 15_000)
    window.open_requested.emit(db.url if db.path is None else str(db.path))
    return True


def _confirmed(parent: QWidget | None, summary: BackupSummary, database: str) -> bool:
    made = summary.made_at[:16].replace("T", " ") or "at an unknown time"
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Restore from backup",
        f"Replace {database} with the backup made {made} UTC?",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("confirmRestore")
    box.setInformativeText(
        f"The backup was checked whole: {summary.events:,} audit events, "
        f"{summary.documents:,} documents, from {summary.source or 'a database'}. "
        "Everything recorded since it was made will be replaced; what the database holds "
        "now is kept aside as a copy beside it."
    )
    restore = box.addButton("Restore", QMessageBox.ButtonRole.DestructiveRole)
    restore.setObjectName("restoreButton")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is restore
