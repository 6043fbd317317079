"""Help ▸ Keyboard shortcuts: every shortcut the window and its pages have registered, read
from the actions and QShortcuts themselves when the dialog opens, so it cannot go stale.

A shortcut is described by its action's text, or (an action or QShortcut with no text) by
the `shortcut_label` property, its whatsThis or its tooltip. `describe` returns "" for one
with none of these; the tests hold every registered shortcut to having a description.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

EVERYWHERE = "Everywhere"
LABEL = "shortcut_label"
"""A dynamic property naming what a shortcut does where its text changes (Undo <what>)."""


@dataclass(frozen=True)
class Shortcut:
    where: str  # EVERYWHERE, or the page's title
    does: str
    keys: str  # as the platform writes them, alternatives joined by " or "


def _keys(sequences: Iterable[QKeySequence]) -> str:
    return " or ".join(
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty()
    )


def describe(thing: QAction | QShortcut) -> str:
    label = thing.property(LABEL)
    if label:
        return str(label)
    text = thing.text() if isinstance(thing, QAction) else ""
    tip = thing.toolTip() if isinstance(thing, QAction) else ""
    for candidate in (text, thing.whatsThis(), tip):
        if candidate:
            return candidate.replace("&&", "\0").replace("&", "").replace("\0", "&")
    return ""


def _registered(owner: QObject, where: str, own: bool) -> list[Shortcut]:
    """The shortcuts of `owner`'s actions (its own only, or every descendant's too)."""
    things: list[QAction | QShortcut] = []
    if own and isinstance(owner, QWidget):
        things += owner.actions()
    else:
        things += owner.findChildren(QAction)
        things += owner.findChildren(QShortcut)
    found: list[Shortcut] = []
    for thing in things:
        keys = _keys(thing.shortcuts() if isinstance(thing, QAction) else thing.keys())
        if keys:
            found.append(Shortcut(where, describe(thing), keys))
    return found


def registered_shortcuts(window: QWidget, pages: Sequence[QWidget]) -> list[Shortcut]:
    """The window's shortcuts, then each page's, merged where one thing has several keys."""
    found = _registered(window, EVERYWHERE, own=True)
    for page in pages:
        found += _registered(page, str(getattr(type(page), "title", page.objectName())), own=False)
    merged: dict[tuple[str, str], list[str]] = {}
    for shortcut in found:
        keys = merged.setdefault((shortcut.where, shortcut.does), [])
        for key in shortcut.keys.split(" or "):
            if key not in keys:
                keys.append(key)
    return [Shortcut(where, does, " or ".join(keys)) for (where, does), keys in merged.items()]


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: Sequence[Shortcut], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.shortcuts = list(shortcuts)
        self.filter = QLineEdit(placeholderText="Type to find a shortcut")
        self.filter.setObjectName("shortcutsFilter")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutsTree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        hint = QLabel(
            "On a page's table: arrow keys move, typing jumps to a reference, Tab reaches the "
            "pane beside it. Ctrl+Tab moves between pages. Underlined letters with Alt press "
            "a button."
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._show)
        self._show("")
        self.resize(560, 640)

    def _show(self, text: str) -> None:
        words = text.casefold().split()
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for shortcut in self.shortcuts:
            haystack = f"{shortcut.where} {shortcut.does} {shortcut.keys}".casefold()
            if not all(w in haystack for w in words):
                continue
            group = groups.get(shortcut.where)
            if group is None:
                group = QTreeWidgetItem(self.tree, [shortcut.where, ""])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFirstColumnSpanned(True)
                groups[shortcut.where] = group
            QTreeWidgetItem(group, [shortcut.does, shortcut.keys])
        self.tree.expandAll()

    def listed(self) -> list[tuple[str, str, str]]:
        """(where, what, keys) as shown, in order: what a test or a reader sees."""
        rows = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                item = group.child(i)
                rows.append((group.text(0), item.text(0), item.text(1)))
        return rows
