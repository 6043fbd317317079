"""Choosing a reviewer to add to a team: everyone, most useful first, with what they would
add to the team's expertise and any conflict on record (the check runs again on assigning,
and a refusal is explained)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.assignment_views import Candidate, TeamRow
from panel_desk.ui.conflicts.list_model import Column, ListTableModel

CONFLICT_COLOUR = "#b3261e"

COLUMNS = (
    Column("Reviewer", lambda c: c.name, lambda c: c.name.casefold()),
    Column("E-mail", lambda c: c.email, lambda c: c.email),
    Column("Load", lambda c: str(c.load), lambda c: c.load, numeric=True, searched=False),
    Column(
        "Adds",
        lambda c: ", ".join(c.covers),
        lambda c: -len(c.covers),
        tip="what the team lacks that this reviewer holds",
    ),
    Column("Expertise", lambda c: ", ".join(c.tags), lambda c: c.tags),
    Column(
        "Conflict on record",
        lambda c: c.conflict,
        lambda c: c.conflict,
        colour=lambda c: CONFLICT_COLOUR if c.conflict else None,
    ),
)


class CandidateDialog(QDialog):
    def __init__(
        self, row: TeamRow, candidates: Sequence[Candidate], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("candidateDialog")
        self.setWindowTitle(f"Add a reviewer to {row.ref}")
        missing = ", ".join(row.missing) or "nothing: the mix is covered"
        intro = QLabel(
            f"<b>{row.ref}</b> — {row.title}<br>Team: {len(row.members)} reviewer"
            f"{'s' * (len(row.members) != 1)}; still lacks: {missing}"
        )
        intro.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="Filter by name, e-mail or expertise")
        self.filter.setObjectName("candidateFilter")
        self.filter.setClearButtonEnabled(True)
        self.model = ListTableModel(COLUMNS, lambda c: c.person_id, self)
        self.model.set_rows(candidates)
        self.table = QTableView()
        self.table.setObjectName("candidateTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(False)  # most useful first, as the service orders them
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setAccessibleName("Reviewers who could join")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 150), (1, 200), (2, 44), (3, 150), (5, 170)):
            self.table.setColumnWidth(column, width)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Assign")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.doubleClicked.connect(lambda _index: self.accept())
        self.filter.textChanged.connect(self._refilter)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(900, 480)
        self._select_first()
        self.filter.setFocus()

    def _refilter(self) -> None:
        self.model.set_filter(self.filter.text())
        self._select_first()

    def _select_first(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.model.rowCount() > 0)
        if self.model.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def choose(self, email: str) -> None:
        """Make `email` the chosen reviewer (for keyboard users typing, and for tests)."""
        self.filter.setText(email)
        row = next(
            (n for n in range(self.model.rowCount()) if self.model.row_at(n).email == email), -1
        )
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def chosen(self) -> Candidate | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None
