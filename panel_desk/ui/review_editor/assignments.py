"""My assignments in the round: a progress line over a small table, each row with its state.

The table's model sorts itself (never a proxy over Python data), like every table here.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.reviewing import MyAssignment, MyReviews, Progress

Index = QModelIndex | QPersistentModelIndex
MARKS = {
    Progress.NOT_STARTED: ("○", "#5f6368"),
    Progress.DRAFT: ("◐", "#8a5a00"),
    Progress.CORRECTION: ("◐", "#8a5a00"),
    Progress.SUBMITTED: ("●", "#1b7f3a"),
    Progress.CONFLICT: ("⊘", "#b3261e"),
}
ORDER = [
    Progress.DRAFT,
    Progress.CORRECTION,
    Progress.NOT_STARTED,
    Progress.SUBMITTED,
    Progress.CONFLICT,
]
HEADERS = ("Ref", "Submission", "State")


def state_text(item: MyAssignment) -> str:
    mark = MARKS[item.progress][0]
    version = f" · v{item.version}" if item.version and item.version > 1 else ""
    return f"{mark} {item.progress.label}{version}"


class AssignmentsModel(QAbstractTableModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._rows: list[MyAssignment] = []
        self._column, self._order = 0, Qt.SortOrder.AscendingOrder

    def set_rows(self, rows: Sequence[MyAssignment]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._sort_rows()
        self.endResetModel()

    def _key(self, item: MyAssignment) -> object:
        if self._column == 1:
            return item.title.casefold()
        if self._column == 2:
            return ORDER.index(item.progress)
        return item.submission_ref

    def _sort_rows(self) -> None:
        self._rows.sort(
            key=lambda r: (self._key(r), r.submission_ref),
            reverse=self._order == Qt.SortOrder.DescendingOrder,
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._column, self._order = column, order
        self._sort_rows()
        self.layoutChanged.emit()

    def row_at(self, row: int) -> MyAssignment:
        return self._rows[row]

    def row_of(self, assignment_id: int) -> int:
        return next((n for n, r in enumerate(self._rows) if r.assignment_id == assignment_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (item.submission_ref, item.title, state_text(item))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.submission_ref} — {item.title}\n{item.lead}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return QBrush(QColor(MARKS[item.progress][1]))
        return None


class AssignmentsView(QWidget):
    """Emits `chosen(assignment_id)` as the selection moves, `entered()` on Enter."""

    chosen = Signal(int)
    entered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = QLabel()
        self.progress.setObjectName("reviewProgress")
        self.progress.setWordWrap(True)
        self.progress.setStyleSheet("font-weight: bold; padding: 4px 2px;")
        self.round_label = QLabel()
        self.round_label.setStyleSheet("color: #5f6368; padding: 0 2px;")
        self.round_label.setWordWrap(True)
        self.model = AssignmentsModel(self)
        self.table = _Table()
        self.table.setObjectName("myAssignments")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.entered_key.connect(self.entered)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.progress)
        layout.addWidget(self.round_label)
        layout.addWidget(self.table, 1)

    def show_reviews(self, mine: MyReviews | None, empty: str = "") -> None:
        keep = self.current_id()
        self.progress.setText(mine.progress_line() if mine else empty)
        self.round_label.setText(f"{mine.round_ref} · {mine.round_title}" if mine else "")
        self.model.set_rows(mine.items if mine else [])
        row = self.model.row_of(keep) if keep is not None else -1
        if row < 0 and mine is not None:
            # Open where there is work to do: a draft, else the first not started.
            for progress in ORDER:
                row = next(
                    (
                        n
                        for n in range(self.model.rowCount())
                        if self.model.row_at(n).progress == progress
                    ),
                    -1,
                )
                if row >= 0:
                    break
        if row >= 0:
            self.select_row(row)
        else:
            self.chosen.emit(-1)

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()).assignment_id if index.isValid() else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.chosen.emit(
            self.model.row_at(current.row()).assignment_id if current.isValid() else -1
        )


class _Table(QTableView):
    entered_key = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.entered_key.emit()
            return
        super().keyPressEvent(event)
