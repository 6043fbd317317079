"""Edit ▸ Undo for the review editor's scales: each value chosen is a step Ctrl+Z takes back.

A comment box keeps its own undo while it has the focus (Qt's text undo, which Ctrl+Z
reaches first there); the scales have none of their own, so their choices go on a
QUndoStack the main window's Edit menu finds. Undo and redo set the value as a choice
would, so the draft saves itself as after any edit. The stack is emptied whenever
another review (or the same one, reloaded) is shown: its scales are new widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QUndoCommand, QUndoStack

from panel_desk.ui.review_editor.scale_chooser import ScaleChooser


class ScoreChoice(QUndoCommand):
    """A value chosen on one scale, already shown when pushed (the first redo does
    nothing)."""

    def __init__(self, scores: ScoreUndo, chooser: ScaleChooser, label: str, old: str, new: str):
        super().__init__(f"{label}: {new or 'cleared'}")
        self.scores, self.chooser, self.old, self.new = scores, chooser, old, new
        self._first = True

    def _choose(self, value: str) -> None:
        self.scores.applying = True
        try:
            self.chooser.set_value(value, emit=True)
        finally:
            self.scores.applying = False
        self.chooser.setFocus(Qt.FocusReason.OtherFocusReason)

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._choose(self.new)

    def undo(self) -> None:
        self._choose(self.old)


class ScoreUndo(QObject):
    """The editor's undo stack for its scales, and what each scale showed last."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.stack = QUndoStack(parent)
        self.applying = False
        self._last: dict[ScaleChooser, str] = {}
        self.active = lambda: True  # the editor says whether a choice now is an edit

    def clear(self) -> None:
        self.stack.clear()
        self._last.clear()

    def track(self, chooser: ScaleChooser, label: str) -> None:
        self._last[chooser] = chooser.value()
        chooser.changed.connect(lambda value, c=chooser, t=label: self._chosen(c, t, value))

    def _chosen(self, chooser: ScaleChooser, label: str, value: str) -> None:
        if chooser not in self._last:  # a scale of a review no longer shown
            return
        old, self._last[chooser] = self._last[chooser], value
        if not self.applying and self.active() and old != value:
            self.stack.push(ScoreChoice(self, chooser, label, old, value))
