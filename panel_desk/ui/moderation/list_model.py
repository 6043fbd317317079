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
    """Rows are held in reference order; what is shown is a list of positions in it.
    Each column's sort keys are worked out once, on its first sort, so sorting 20,000
    submissions is two sorts of integers by a list lookup (no Python call a row)."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._all: list[ModerationRow] = []  # in reference order
        self._at: dict[int, int] = {}  # submission id → position in _all
        self._texts: list[tuple[str, ...]] = []
        self._haystack: list[str] = []
        self._keys: dict[int, list[object]] = {}  # column → a key per position in _all
        self._visible: list[int] = []  # positions in _all, as shown
        self._filter = ""
        self._needs_only = False
        self._sort_column = TO_MODERATE
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: Sequence[ModerationRow]) -> None:
        self.beginResetModel()
        self._all = sorted(rows, key=lambda r: r.ref)
        self._at = {r.id: n for n, r in enumerate(self._all)}
        self._texts = [tuple(c.text(r) for c in COLUMNS) for r in self._all]
        self._haystack = [f"{r.ref} {r.title}".casefold() for r in self._all]
        self._keys = {}
        self._refresh_visible()
        self.endResetModel()

    def replace_row(self, row: ModerationRow) -> None:
        """One submission's row after a save, without reloading the round."""
        at = self._at.get(row.id)
        if at is None:
            return
        self._all[at] = row
        self._texts[at] = tuple(c.text(row) for c in COLUMNS)
        for column, keys in self._keys.items():
            keys[at] = COLUMNS[column].key(row)
        shown = self.row_of(row.id)
        if shown >= 0:
            self.dataChanged.emit(self.index(shown, 0), self.index(shown, len(COLUMNS) - 1))

    def set_filter(self, text: str, needs_only: bool) -> None:
        if (text.strip().casefold(), needs_only) == (self._filter, self._needs_only):
            return
        self.beginResetModel()
        self._filter, self._needs_only = text.strip().casefold(), needs_only
        self._refresh_visible()
        self.endResetModel()

    def _refresh_visible(self) -> None:
        words = self._filter.split()
        rows, haystack = self._all, self._haystack
        self._visible = [
            n
            for n in range(len(rows))
            if (not self._needs_only or rows[n].unresolved > 0)
            and all(w in haystack[n] for w in words)
        ]
        self._sort_visible()

    def _sort_visible(self) -> None:
        keys = self._keys.get(self._sort_column)
        if keys is None:
            key = COLUMNS[self._sort_column].key
            keys = self._keys[self._sort_column] = [key(r) for r in self._all]
        # Ties keep reference order whichever way the column sorts (positions are in
        # reference order, and Python's sort is stable, reversed or not).
        self._visible.sort()
        self._visible.sort(
            key=keys.__getitem__, reverse=self._sort_order == Qt.SortOrder.DescendingOrder
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        kept = [self._visible[i.row()] if i.isValid() else None for i in persistent]
        self._sort_column, self._sort_order = column, order
        self._sort_visible()
        if persistent:
            wanted = {n for n in kept if n is not None}
            shown = {n: row for row, n in enumerate(self._visible) if n in wanted}
            self.changePersistentIndexList(
                persistent,
                [
                    self.index(shown[n], p.column()) if n in shown else QModelIndex()
                    for p, n in zip(persistent, kept, strict=True)
                ],
            )
        self.layoutChanged.emit()

    # --- reading ---------------------------------------------------------------------------

    def row_at(self, row: int) -> ModerationRow:
        return self._all[self._visible[row]]

    def row_of(self, submission_id: int) -> int:
        at = self._at.get(submission_id)
        try:
            return -1 if at is None else self._visible.index(at)
        except ValueError:  # filtered out
            return -1

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
        at = self._visible[index.row()]
        row = self._all[at]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[at][column]
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
