"""The submissions table with its filter bar, and the empty state a new user first meets."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.submission_views import SubmissionRow
from panel_desk.services.vocabulary import ScreeningState
from panel_desk.ui.submissions.table_model import Counter, SubmissionsTableModel


class SubmissionsView(QWidget):
    """Emits `submission_chosen(id)` as the current row changes (mouse or keyboard);
    -1 when nothing is chosen."""

    submission_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText="Filter by ref, title, organisation or area")
        self.filter.setObjectName("submissionFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter submissions")
        self.state = QComboBox()
        self.state.setObjectName("screeningFilter")
        self.state.addItem("All screening states", "")
        for state in ScreeningState:
            self.state.addItem(state.label.capitalize(), state.value)
        self.count = QLabel()
        self.count.setObjectName("submissionCount")

        self.model = SubmissionsTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("submissionsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(40)
        for column, width in ((0, 66), (2, 180), (3, 120), (4, 100), (5, 46), (6, 46), (7, 64)):
            self.table.setColumnWidth(column, width)
        self.table.setAccessibleName("Submissions")

        self.empty = QLabel()
        self.empty.setObjectName("submissionsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.state)
        bar.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        self.filter.textChanged.connect(self._refilter)
        self.state.currentIndexChanged.connect(self._refilter)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._after_reset)
        self._chosen = -1

    def show_rows(
        self, rows: Sequence[SubmissionRow], empty_text: str, counter: Counter | None = None
    ) -> None:
        keep = self._chosen
        self.empty.setText(empty_text)
        self.model.set_rows(rows, counter)
        self._select(keep if self.model.row_of(keep) >= 0 else None)

    def _refilter(self) -> None:
        keep = self._chosen
        self.model.set_filter(self.filter.text(), self.state.currentData() or "")
        self._select(keep if self.model.row_of(keep) >= 0 else None)

    def _after_reset(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total} submissions")
        if total == 0:
            self.stack.setCurrentWidget(self.empty)
        elif shown == 0:
            self.empty.setText("No submission matches the filter.")
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.table)

    def _select(self, submission_id: int | None) -> None:
        row = self.model.row_of(submission_id) if submission_id is not None else 0
        if self.model.rowCount() == 0:
            self._emit(-1)
            return
        index = self.model.index(max(row, 0), 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        self._emit(self.model.row_at(index.row()).id)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._emit(self.model.row_at(current.row()).id if current.isValid() else -1)

    def _emit(self, submission_id: int) -> None:
        if submission_id != self._chosen:
            self._chosen = submission_id
            self.submission_chosen.emit(submission_id)

    def chosen(self) -> int:
        return self._chosen

    def choose_first_with_gaps(self) -> None:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).gaps:
                self._select(self.model.row_at(row).id)
                return
