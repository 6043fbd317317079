"""One exchange step (an export, an import) in one transaction off the GUI thread, with
progress and Cancel; a bad file shown in a dialog naming it, nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QWidget

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import keys
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

T = TypeVar("T")


def in_transaction(
    parent: QWidget,
    workspace: Workspace,
    title: str,
    work: Callable[..., T],
    undo: Callable[[], None] = lambda: None,
) -> T | None:
    """`work(session, progress)` in one transaction; None when refused or cancelled.

    `undo` removes what the work wrote outside the database (a file) if the transaction is
    then rolled back: Cancel at the last moment still undoes it whole.
    """

    def job(progress: Callable[[int, int, str], None]) -> T:
        with workspace.db.transaction() as session:
            result = work(session, progress)
            try:
                progress(1, 1, "Saving")
            except BaseException:
                undo()
                raise
        return result

    try:
        return run_in_background(parent, title, job)
    except keys.NoSecureKeyring as error:
        show_bad_input(parent, title, BadInput(error.source, error.problem))
    except BadInput as error:
        show_bad_input(parent, title, error)
    except Cancelled:
        pass
    return None
