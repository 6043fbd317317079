"""Edit ▸ Undo and Redo in the main window, acting on the current page's undo stack.

A page that lets users take edits back keeps a QUndoStack (as `undo_stack`, or anywhere
among its children); the window gathers them in a QUndoGroup and makes the current page's
the active one, so Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y) mean "undo here" on every page and
the menu says what would be undone. The keys belong to the window: a page's own undo
actions keep their buttons but give up their shortcuts, which would otherwise collide.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QAction, QKeySequence, QUndoGroup, QUndoStack
from PySide6.QtWidgets import QWidget

from panel_desk.ui.help.shortcuts import LABEL

UNDO_KEYS = ("Ctrl+Z",)
REDO_KEYS = ("Ctrl+Shift+Z", "Ctrl+Y")


def undo_stack_of(page: QWidget) -> QUndoStack | None:
    stack = getattr(page, "undo_stack", None)
    if isinstance(stack, QUndoStack):
        return stack
    return page.findChild(QUndoStack)


class PageUndo:
    def __init__(self, window: QWidget, pages: Sequence[QWidget]) -> None:
        self.group = QUndoGroup(window)
        self.stacks: dict[QWidget, QUndoStack] = {}
        for page in pages:
            self.add_page(page)
        self.undo_action = self._action(
            self.group.createUndoAction(window, "&Undo"), UNDO_KEYS, "Undo the last edit here"
        )
        self.redo_action = self._action(
            self.group.createRedoAction(window, "&Redo"), REDO_KEYS, "Redo what was undone"
        )

    def add_page(self, page: QWidget) -> None:
        """A page built after the window (pages are built as first shown)."""
        stack = undo_stack_of(page)
        if stack is not None:
            self.stacks[page] = stack
            self.group.addStack(stack)
            _give_up_keys(page)

    @staticmethod
    def _action(action: QAction, keys: Sequence[str], label: str) -> QAction:
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setProperty(LABEL, label)  # the text changes with what there is to undo
        return action

    def page_shown(self, page: QWidget | None) -> None:
        self.group.setActiveStack(self.stacks.get(page) if page is not None else None)


def _give_up_keys(page: QWidget) -> None:
    taken = {QKeySequence(k).toString() for k in (*UNDO_KEYS, *REDO_KEYS)}
    for action in page.findChildren(QAction):
        kept = [s for s in action.shortcuts() if s.toString() not in taken]
        if len(kept) != len(action.shortcuts()):
            action.setShortcuts(kept)
