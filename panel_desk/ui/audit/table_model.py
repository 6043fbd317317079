"""The audit events table's model: sorts and filters itself (no proxy; see STYLE.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from panel_desk.services.audit_views import EventView

Index = QModelIndex | QPersistentModelIndex
SEQ_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[EventView], str]
    key: Callable[[EventView], object]
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("#", lambda e: str(e.seq), lambda e: e.seq, numeric=True),
    Column("When (UTC)", lambda e: f"{e.at:%Y-%m-%d %H:%M:%S}", lambda e: e.seq),
    Column("Who", lambda e: e.actor, lambda e: e.actor.casefold()),
    Column("Action", lambda e: e.action, lambda e: e.action),
    Column("Subject", lambda e: e.subject, lambda e: (e.subject_type, e.subject_ref)),
)
DAMAGE_COLOUR = QColor("#b3261e")


class AuditTableModel(QAbstractTableModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._all: list[EventView] = []
        self._texts: dict[int, tuple[str, ...]] = {}
        self._visible: list[EventView] = []
        self._filter = ""
        self._sort_column = 0
        self._sort_order = Qt.SortOrder.DescendingOrder
        self.broken_at: int | None = None

    def set_events(self, events: Sequence[EventView], broken_at: int | None = None) -> None:
        self.beginResetModel()
        self._all = list(events)
        self.broken_at = broken_at
        self._texts = {e.seq: tuple(c.text(e) for c in COLUMNS) for e in self._all}
        self._visible = self._filtered()
        self._sort_visible()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        text = text.strip().casefold()
        if text == self._filter:
            return
        self.beginResetModel()
        self._filter = text
        self._visible = self._filtered()
        self._sort_visible()
        self.endResetModel()

    def _filtered(self) -> list[EventView]:
        words = self._filter.split()
        if not words:
            return list(self._all)
        haystack = {e.seq: " ".join(self._texts[e.seq][2:]).casefold() for e in self._all}
        return [e for e in self._all if all(w in haystack[e.seq] for w in words)]

    def _sort_visible(self) -> None:
        key = COLUMNS[self._sort_column].key
        self._visible.sort(
            key=lambda e: (key(e), e.seq), reverse=self._sort_order == Qt.SortOrder.DescendingOrder
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort_column, self._sort_order = column, order
        self._sort_visible()
        self.layoutChanged.emit()

    @property
    def loaded(self) -> int:
        return len(self._all)

    def event_at(self, row: int) -> EventView:
        return self._visible[row]

    def row_of(self, seq: int) -> int:
        return next((n for n, e in enumerate(self._visible) if e.seq == seq), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        event = self._visible[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[event.seq][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and (
            event.action == "audit.trail_damaged"
            or (self.broken_at is not None and event.seq >= self.broken_at)
        ):
            return QBrush(DAMAGE_COLOUR)
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[index.column()].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == SEQ_ROLE:
            return event.seq
        return None
