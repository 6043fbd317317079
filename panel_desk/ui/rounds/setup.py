"""Round set-up from the GUI: importing the roster and submissions, running screening.

Each runs off the GUI thread with progress; bad input is shown as a dialog naming the
file, row and column, and (as on the command line) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import QFileDialog, QWidget

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import roster, screening, submissions
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

T = TypeVar("T")


def _in_transaction(
    workspace: Workspace, title: str, parent: QWidget, work: Callable[..., T], *args: object
) -> T | None:
    """Run a service in one transaction off the GUI thread; a last progress call before the
    commit lets Cancel undo it whole."""

    def job(progress: Callable[[int, int, str], None]) -> T:
        progress(0, 1, title)
        with workspace.db.transaction() as session:
            result = work(session, *args)
            progress(1, 1, "Saving")
        return result

    try:
        return run_in_background(parent, title, job)
    except BadInput as error:
        show_bad_input(parent, title, error)
    except Cancelled:
        pass
    return None


def import_roster(parent: QWidget, workspace: Workspace) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import roster", "", "CSV files (*.csv)")
    if not path:
        return None
    result = _in_transaction(
        workspace,
        "Importing the roster",
        parent,
        roster.import_roster,
        Path(path),
        workspace.person.email,
    )
    return f"Roster {Path(path).name}: {result}" if result is not None else None


def import_submissions(parent: QWidget, workspace: Workspace, round_ref: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(
        parent, f"Import submissions into {round_ref}", "", "CSV files (*.csv)"
    )
    if not path:
        return None
    folder = QFileDialog.getExistingDirectory(
        parent, "Folder holding the documents the file names", str(Path(path).parent)
    )
    result = _in_transaction(
        workspace,
        f"Importing submissions into {round_ref}",
        parent,
        submissions.import_submissions,
        Path(path),
        round_ref,
        Path(folder) if folder else None,
        workspace.person.email,
    )
    return f"Submissions {Path(path).name} into {round_ref}: {result}" if result else None


def run_screening(parent: QWidget, workspace: Workspace, round_ref: str) -> str | None:
    report = _in_transaction(
        workspace,
        f"Screening {round_ref}",
        parent,
        screening.run_screening,
        round_ref,
        workspace.person.email,
    )
    if report is None:
        return None
    complete = sum(1 for item in report if not item.gaps)
    return (
        f"Screened {round_ref}: {complete} of {len(report)} complete, "
        f"{len(report) - complete} with gaps returned"
    )
