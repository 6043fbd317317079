"""The chair's unsaved decisions on one submission, as undoable commands.

Nothing reaches the database until Save: each recorded decision and each change to the
outcome's conditions or feedback is a QUndoCommand on the page's stack, so Ctrl+Z walks
back through them; saving writes them all in one transaction and clears the stack.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from panel_desk.ui.moderation.matrix_model import Decision

CONDITIONS, FEEDBACK = "conditions", "feedback"


class PendingDecisions(QObject):
    """What the chair has decided but not saved; `changed` after every do and undo."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: dict[str, Decision] = {}
        self.texts: dict[str, str] = {}  # CONDITIONS / FEEDBACK, when edited
        self.stack = QUndoStack(self)
        self.stack.setObjectName("moderationUndoStack")

    @property
    def empty(self) -> bool:
        return not self.items and not self.texts

    def clear(self) -> None:
        self.items, self.texts = {}, {}
        self.stack.clear()
        self.changed.emit()

    def decide(self, key: str, label: str, decision: Decision, saved: Decision | None) -> None:
        before = self.items.get(key)
        if (before or saved) == decision:
            return
        self.stack.push(SetDecision(self, key, label, before, decision))

    def edit_text(self, which: str, text: str, saved: str) -> None:
        before = self.texts.get(which)
        if (before if before is not None else saved) == text:
            return
        self.stack.push(SetText(self, which, before, text if text != saved else None))


class SetDecision(QUndoCommand):
    def __init__(
        self,
        pending: PendingDecisions,
        key: str,
        label: str,
        before: Decision | None,
        after: Decision | None,
    ) -> None:
        shown = after.value if after else "no decision"
        super().__init__(f"{label}: {shown}")
        self.pending, self.key, self.before, self.after = pending, key, before, after

    def _set(self, decision: Decision | None) -> None:
        if decision is None:
            self.pending.items.pop(self.key, None)
        else:
            self.pending.items[self.key] = decision
        self.pending.changed.emit()

    def redo(self) -> None:
        self._set(self.after)

    def undo(self) -> None:
        self._set(self.before)


class SetText(QUndoCommand):
    """A change to the conditions or the feedback; None means back to what is saved."""

    def __init__(
        self, pending: PendingDecisions, which: str, before: str | None, after: str | None
    ) -> None:
        super().__init__(f"edit the {which}")
        self.pending, self.which, self.before, self.after = pending, which, before, after

    def _set(self, text: str | None) -> None:
        if text is None:
            self.pending.texts.pop(self.which, None)
        else:
            self.pending.texts[self.which] = text
        self.pending.changed.emit()

    def redo(self) -> None:
        self._set(self.after)

    def undo(self) -> None:
        self._set(self.before)
