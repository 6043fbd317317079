"""Messages to the user: bad input shown as a dialog naming the file and the problem."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from panel_desk.errors import BadInput


def show_bad_input(parent: QWidget | None, title: str, error: BadInput) -> None:
    """Tell the user what was wrong and that nothing was changed."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, error.problem, parent=parent)
    box.setObjectName("badInputDialog")
    where = f"{error.source}: {error.where}" if error.where else error.source
    box.setInformativeText(f"{where}\n\nNothing was changed.")
    box.exec()
