"""A table model over a list of frozen rows that sorts and filters itself (never through a
QSortFilterProxyModel over Python data: see STYLE.md). The conflicts and assignment views
each describe their columns and hand it their rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

Index = QModelIndex | QPersistentModelIndex
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], str]
    key: Callable[[Any], object]
    tip: str = ""
    numeric: bool = False
    colour: Callable[[Any], str | None] | None = None
    searched: bool = True  # its text is part of what the filter words are looked for in


@dataclass(frozen=True)
class Prepared:
    rows: list[Any]
    texts: dict[int, tuple[str, ...]]
    haystack: dict[int, str]


class ListTableModel(QAbstractTableModel):
    def __init__(
        self, columns: Sequence[Column], row_id: Callable[[Any], int], parent: object = None
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._row_id = row_id
        self._all: list[Any] = []
        self._texts: dict[int, tuple[str, ...]] = {}
        self._haystack: dict[int, str] = {}
        self._visible: list[Any] = []
        self._words: tuple[str, ...] = ()
        self._accept: Callable[[Any], bool] | None = None
        self._sort_column = 0
        self._sort_order = Qt.SortOrder.AscendingOrder

    # --- loading, filtering, sorting -------------------------------------------------------

    def prepare(self, rows: Sequence[Any]) -> Prepared:
        """Each row's texts and search words. Touches no Qt object, so a background read
        can do it in its worker: for 20,000 rows it is the slow part of showing them."""
        all_ = list(rows)
        texts = {self._row_id(r): tuple(c.text(r) for c in self.columns) for r in all_}
        searched = [n for n, c in enumerate(self.columns) if c.searched]
        haystack = {
            key: " ".join(values[n] for n in searched).casefold() for key, values in texts.items()
        }
        return Prepared(all_, texts, haystack)

    def set_rows(self, rows: Sequence[Any] | Prepared) -> None:
        prepared = rows if isinstance(rows, Prepared) else self.prepare(rows)
        self.beginResetModel()
        self._all, self._texts, self._haystack = prepared.rows, prepared.texts, prepared.haystack
        self._refresh_visible()
        self.endResetModel()

    def set_filter(self, text: str, accept: Callable[[Any], bool] | None = None) -> None:
        self.beginResetModel()
        self._words, self._accept = tuple(text.casefold().split()), accept
        self._refresh_visible()
        self.endResetModel()

    def _refresh_visible(self) -> None:
        words, accept, haystack = self._words, self._accept, self._haystack
        self._visible = [
            r
            for r in self._all
            if (accept is None or accept(r)) and all(w in haystack[self._row_id(r)] for w in words)
        ]
        self._sort_visible()

    def _sort_visible(self) -> None:
        key, row_id = self.columns[self._sort_column].key, self._row_id
        self._visible.sort(
            key=lambda r: (key(r), row_id(r)),
            reverse=self._sort_order == Qt.SortOrder.DescendingOrder,
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._row_id(self._visible[i.row()]) if i.isValid() else None for i in persistent]
        self._sort_column, self._sort_order = column, order
        self._sort_visible()
        position = {self._row_id(r): n for n, r in enumerate(self._visible)}
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[i], p.column()) if i in position else QModelIndex()
                for p, i in zip(persistent, ids, strict=True)
            ],
        )
        self.layoutChanged.emit()

    # --- reading ---------------------------------------------------------------------------

    def row_at(self, row: int) -> Any:
        return self._visible[row]

    def row_of(self, row_id: int) -> int:
        return next((n for n, r in enumerate(self._visible) if self._row_id(r) == row_id), -1)

    @property
    def total(self) -> int:
        return len(self._all)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._visible[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[self._row_id(row)][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._texts[self._row_id(row)][index.column()] or None
        if role == Qt.ItemDataRole.ForegroundRole and column.colour is not None:
            colour = column.colour(row)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ID_ROLE:
            return self._row_id(row)
        return None
