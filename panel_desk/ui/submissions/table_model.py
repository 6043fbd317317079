"""The submissions table's model: sorts and filters itself, never through a proxy, and
reads counts only for the rows it shows.

A QSortFilterProxyModel over Python data calls `data()` for every comparison (32 s to
sort 100,000 rows when measured here); sorting the row list with `list.sort` on a
precomputed key and filtering on a lower-case haystack keeps a 20,000-row round instant.
The rows arrive without their counts (gaps, documents, reviews: the costly part of the
listing, see services/submission_listing.py); the model asks `counter` for the counts of
a page of rows as they are first shown, and for all of them only to sort by a count.

Sorting keys are made once per column and kept until the rows change: making 20,000 key
tuples at every click cost more than the sort, and (allocating that many objects) set off
Python's full garbage collections, 100–200 ms on the app's heap at that size: the
"sometimes slow" sort. `QTableView.sortByColumn` calls `sort` twice (once through the
header's indicator); asking for the order the rows are already in does nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from panel_desk.services.submission_views import SubmissionCounts, SubmissionRow
from panel_desk.services.vocabulary import ScreeningState

SUBMISSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
Counter = Callable[[list[int]], dict[int, SubmissionCounts]]
"""Reads the counts of the submissions with these ids."""
NOT_COUNTED = SubmissionCounts(0, 0, 0, 0)
PAGE = 200
"""Rows whose counts are read together: a screenful and the next few."""


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[SubmissionRow, SubmissionCounts], str]
    key: Callable[[SubmissionRow, SubmissionCounts], object]
    numeric: bool = False
    counted: bool = False  # shows a count: needs the row's counts
    tip: str = ""


def _reviews(_row: SubmissionRow, c: SubmissionCounts) -> str:
    return f"{c.reviews_submitted} of {c.reviewers}" if c.reviewers else "—"


COLUMNS: tuple[Column, ...] = (
    Column("Ref", lambda r, _c: r.ref, lambda r, _c: r.ref),
    Column("Title", lambda r, _c: r.title, lambda r, _c: r.title.casefold()),
    Column("Lead organisation", lambda r, _c: r.lead, lambda r, _c: r.lead.casefold()),
    Column("Area", lambda r, _c: r.area.replace("-", " ").capitalize(), lambda r, _c: r.area),
    Column(
        "Screening",
        lambda r, _c: r.screening_label,
        lambda r, _c: r.screening_state,
        tip="complete, gaps returned to the submitter, resubmitted, or not yet screened",
    ),
    Column(
        "Gaps",
        lambda _r, c: str(c.gaps) if c.gaps else "",
        lambda _r, c: c.gaps,
        numeric=True,
        counted=True,
        tip="required fields and documents missing at the last screening",
    ),
    Column(
        "Docs",
        lambda _r, c: str(c.documents),
        lambda _r, c: c.documents,
        numeric=True,
        counted=True,
    ),
    Column(
        "Reviews",
        _reviews,
        lambda _r, c: (c.reviews_submitted, c.reviewers),
        numeric=True,
        counted=True,
        tip="submitted reviews of the reviewers assigned",
    ),
)

STATE_COLOURS = {
    ScreeningState.COMPLETE: QColor("#1b7f3a"),
    ScreeningState.GAPS_RETURNED: QColor("#b3261e"),
    ScreeningState.RESUBMITTED: QColor("#8a5a00"),
    ScreeningState.NOT_SCREENED: QColor("#5f6368"),
}


class SubmissionsTableModel(QAbstractTableModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._all: list[SubmissionRow] = []
        self._counter: Counter | None = None
        self._counts: dict[int, SubmissionCounts] = {}
        self._texts: dict[int, tuple[str, ...]] = {}  # made as rows are first shown
        self._haystack: dict[int, str] | None = None  # made at the first filter
        self._visible: list[SubmissionRow] = []
        self._filter = ""
        self._state = ""
        self._sort_column = 0
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._keys: dict[int, dict[int, tuple[object, str]]] = {}  # column → id → key

    # --- loading, filtering, sorting -------------------------------------------------------

    def set_rows(self, rows: Sequence[SubmissionRow], counter: Counter | None = None) -> None:
        """Show `rows`; `counter` reads the counts of rows that arrive without them."""
        self.beginResetModel()
        self._all = list(rows)
        self._counter = counter
        self._counts = {r.id: r.counts for r in self._all if r.counts is not None}
        self._texts = {}
        self._haystack = None
        self._keys = {}
        self._visible = self._filtered()
        self._sort_visible()
        self.endResetModel()

    def set_filter(self, text: str, state: str = "") -> None:
        if (text.strip().casefold(), state) == (self._filter, self._state):
            return
        self.beginResetModel()
        self._filter, self._state = text.strip().casefold(), state
        self._visible = self._filtered()
        self._sort_visible()
        self.endResetModel()

    def _filtered(self) -> list[SubmissionRow]:
        words = self._filter.split()
        if not words and not self._state:
            return list(self._all)
        if words and self._haystack is None:
            # The searched columns' texts (COLUMNS[:SEARCHED]), written out: 20,000 rows'
            # worth of column functions took 60 ms; this takes a quarter of that.
            labels = {s.value: s.label for s in ScreeningState}
            self._haystack = {
                r.id: (
                    f"{r.ref} {r.title} {r.lead} {r.area.replace('-', ' ')} "
                    f"{labels.get(r.screening_state, '')}"
                ).casefold()
                for r in self._all
            }
        haystack = self._haystack or {}
        rows = self._all
        if self._state:
            rows = [r for r in rows if r.screening_state == self._state]
        for word in words:
            rows = [r for r in rows if word in haystack[r.id]]
        return rows if rows is not self._all else list(rows)

    def _sort_visible(self) -> None:
        ascending = self._sort_order == Qt.SortOrder.AscendingOrder
        rows = self._visible
        if (
            self._sort_column == 0
            and ascending
            and all(
                a.ref < b.ref
                for a, b in itertools.pairwise(rows)  # as listed: in ref order already
            )
        ):
            return
        column = COLUMNS[self._sort_column]
        if column.counted:
            # Counts arrive as rows are shown: keys for them are made afresh each time.
            self._count([r.id for r in self._visible if r.id not in self._counts])
            counts, key = self._counts, column.key
            self._visible.sort(
                key=lambda r: (key(r, counts.get(r.id, NOT_COUNTED)), r.ref), reverse=not ascending
            )
            return
        keys = self._keys.get(self._sort_column)
        if keys is None:
            keys = self._keys[self._sort_column] = {
                r.id: (column.key(r, NOT_COUNTED), r.ref) for r in self._all
            }
        self._visible.sort(key=lambda r: keys[r.id], reverse=not ascending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if (column, order) == (self._sort_column, self._sort_order):
            return  # already in this order (kept so by every change of rows or filter)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._visible[i.row()].id if i.isValid() else None for i in persistent]
        self._sort_column, self._sort_order = column, order
        self._sort_visible()
        wanted = set(ids)
        position = {r.id: n for n, r in enumerate(self._visible) if r.id in wanted}
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[i], p.column()) if i in position else QModelIndex()
                for p, i in zip(persistent, ids, strict=True)
            ],
        )
        self.layoutChanged.emit()

    # --- counts, read as rows are shown ----------------------------------------------------

    def _count(self, ids: list[int]) -> None:
        if not ids:
            return
        found = self._counter(ids) if self._counter is not None else {}
        for submission_id in ids:
            self._counts[submission_id] = found.get(submission_id, NOT_COUNTED)

    def _counts_at(self, row: int) -> SubmissionCounts:
        submission_id = self._visible[row].id
        counts = self._counts.get(submission_id)
        if counts is None:
            page = self._visible[max(0, row - PAGE // 4) : row + PAGE]
            self._count([r.id for r in page if r.id not in self._counts])
            counts = self._counts[submission_id]
        return counts

    def _texts_at(self, row: int) -> tuple[str, ...]:
        found = self._visible[row]
        texts = self._texts.get(found.id)
        if texts is None:
            counts = self._counts_at(row)
            texts = self._texts[found.id] = tuple(c.text(found, counts) for c in COLUMNS)
        return texts

    # --- reading ---------------------------------------------------------------------------

    def row_at(self, row: int) -> SubmissionRow:
        """The row, with its counts."""
        found = self._visible[row]
        if found.counts is None:
            found = found._replace(counts=self._counts_at(row))
        return found

    def row_of(self, submission_id: int) -> int:
        return next((n for n, r in enumerate(self._visible) if r.id == submission_id), -1)

    @property
    def total(self) -> int:
        return len(self._all)

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
            return self._texts_at(index.row())[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return row.title
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            return QBrush(STATE_COLOURS[ScreeningState(row.screening_state)])
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == SUBMISSION_ID_ROLE:
            return row.id
        return None
