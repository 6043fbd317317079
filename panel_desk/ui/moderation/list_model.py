"""The moderation list's model: the round's submissions, most divergent first.

It sorts and filters itself on precomputed keys (never a proxy over Python data), so a
20,000-submission round sorts in milliseconds; "needs moderation" is a filter of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from panel_desk.services.moderation_views import ModerationRow
from panel_desk.ui import colours

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[ModerationRow], str]
    key: Callable[[ModerationRow], object]
    numeric: bool = False
    tip: str = ""


def _divergence_key(r: ModerationRow) -> tuple[object, ...]:
    """The list's natural order, most divergent first, when sorted descending."""
    return (r.unresolved, r.divergent, r.ratio)


def _to_moderate(r: ModerationRow) -> str:
    if r.unresolved:
        return f"{r.unresolved} of {r.divergent}"
    return f"✓ all {r.divergent}" if r.divergent else "agree"


COLUMNS: tuple[Column, ...] = (
    Column("Ref", lambda r: r.ref, lambda r: r.ref),
    Column("Title", lambda r: r.title, lambda r: r.title.casefold()),
    Column(
        "Reviews",
        lambda r: f"{r.submitted}/{r.reviewers}",
        lambda r: (r.submitted, r.reviewers),
        numeric=True,
        tip="submitted reviews of the reviewers assigned",
    ),
    Column(
        "To moderate",
        _to_moderate,
        _divergence_key,
        numeric=True,
        tip="divergent items still without a moderated value and rationale, of all divergent",
    ),
    Column(
        "Widest",
        lambda r: f"{r.widest:g}" if r.widest else "",
        lambda r: (r.ratio, r.widest),
        numeric=True,
        tip="the widest spread (max − min points) on a divergent criterion",
    ),
    Column("Outcome", lambda r: r.outcome, lambda r: r.outcome, tip="the moderated outcome"),
)
TO_MODERATE = 3


class ModerationListModel(QAbstractTableModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._all: list[ModerationRow] = []
        self._texts: dict[int, tuple[str, ...]] = {}
        self._haystack: dict[int, str] = {}
        self._visible: list[ModerationRow] = []
        self._filter = ""
        self._needs_only = False
        self._sort_column = TO_MODERATE
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: Sequence[ModerationRow]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._texts = {r.id: tuple(c.text(r) for c in COLUMNS) for r in self._all}
        self._haystack = {r.id: f"{r.ref} {r.title}".casefold() for r in self._all}
        self._refresh_visible()
        self.endResetModel()

    def replace_row(self, row: ModerationRow) -> None:
        """One submission's row after a save, without reloading the round."""
        self._all = [row if r.id == row.id else r for r in self._all]
        self._texts[row.id] = tuple(c.text(row) for c in COLUMNS)
        at = self.row_of(row.id)
        if at >= 0:
            self._visible[at] = row
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(COLUMNS) - 1))

    def set_filter(self, text: str, needs_only: bool) -> None:
        if (text.strip().casefold(), needs_only) == (self._filter, self._needs_only):
            return
        self.beginResetModel()
        self._filter, self._needs_only = text.strip().casefold(), needs_only
        self._refresh_visible()
        self.endResetModel()

    def _refresh_visible(self) -> None:
        words = self._filter.split()
        self._visible = [
            r
            for r in self._all
            if (not self._needs_only or r.needs_moderation)
            and all(w in self._haystack[r.id] for w in words)
        ]
        self._sort_visible()

    def _sort_visible(self) -> None:
        key = COLUMNS[self._sort_column].key
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        # Ties keep reference order whichever way the column sorts.
        self._visible.sort(key=lambda r: r.ref)
        self._visible.sort(key=key, reverse=descending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._visible[i.row()].id if i.isValid() else None for i in persistent]
        self._sort_column, self._sort_order = column, order
        self._sort_visible()
        position = {r.id: n for n, r in enumerate(self._visible)}
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[i], p.column()) if i in position else QModelIndex()
                for p, i in zip(persistent, ids, strict=True)
            ],
        )
        self.layoutChanged.emit()

    # --- reading ---------------------------------------------------------------------------

    def row_at(self, row: int) -> ModerationRow:
        return self._visible[row]

    def row_of(self, submission_id: int) -> int:
        return next((n for n, r in enumerate(self._visible) if r.id == submission_id), -1)

    @property
    def total(self) -> int:
        return len(self._all)

    @property
    def needing(self) -> int:
        return sum(1 for r in self._all if r.needs_moderation)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].tip or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._visible[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[row.id][column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return row.title
        if role == Qt.ItemDataRole.ForegroundRole and column == TO_MODERATE:
            return QBrush(
                colours.hue("bad")
                if row.unresolved
                else colours.hue("good")
                if row.divergent
                else colours.quiet()
            )
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and row.submitted < row.reviewers:
            return QBrush(colours.quiet())
        if role == Qt.ItemDataRole.FontRole and column == TO_MODERATE and row.unresolved:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
