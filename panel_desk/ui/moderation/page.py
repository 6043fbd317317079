"""The Moderation page: the round's submissions by how divergent each is, beside the chosen
one's matrix and the chair's decisions.

The chair (moderator) decides; the secretariat and the EAG see the same page read-only.
Decisions are pending, and undoable, until Save (Ctrl+S) writes them in one transaction;
leaving a submission with unsaved decisions asks first.
"""

from __future__ import annotations

import itertools
from typing import ClassVar

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import moderation_views
from panel_desk.services.moderation import ItemDecision, OutcomeDecision, save_moderation
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.moderation.decisions import CONDITIONS, FEEDBACK, PendingDecisions
from panel_desk.ui.moderation.detail import ModerationDetail
from panel_desk.ui.moderation.list_model import TO_MODERATE, ModerationListModel
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

MAY_OPEN = frozenset({Role.MODERATOR, Role.SECRETARIAT, Role.EAG})


class ModerationPage(QWidget):
    title: ClassVar[str] = "Moderation"
    roles: ClassVar[frozenset[Role]] = MAY_OPEN

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.chair = workspace.role == Role.MODERATOR
        self._chosen = -1
        self._reveal = False
        self.pending = PendingDecisions(self)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("moderationSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="Filter by ref or title")
        self.filter.setObjectName("moderationFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter submissions")
        self.needs_only = QCheckBox("Needs &moderation only")
        self.needs_only.setObjectName("needsModerationOnly")
        self.model = ModerationListModel(self)
        self.table = QTableView()
        self.table.setObjectName("moderationList")
        self.table.setAccessibleName("Submissions by divergence")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(TO_MODERATE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the matrix
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(36)
        for column, width in ((0, 62), (2, 54), (3, 84), (4, 52), (5, 76)):
            self.table.setColumnWidth(column, width)
        self.empty = QLabel()
        self.empty.setObjectName("moderationEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)

        self.detail = ModerationDetail(self.pending)
        self.detail.may_reveal = workspace.role in (Role.MODERATOR, Role.SECRETARIAT)
        self.undo_action = self.pending.stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo_action = self.pending.stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.save_action = QAction("&Save decisions", self)
        self.save_action.setShortcut(QKeySequence("Ctrl+S"))
        self.save_action.triggered.connect(self.save)
        for action in (self.undo_action, self.redo_action, self.save_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.unsaved = QLabel()
        self.unsaved.setObjectName("unsavedLabel")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 0, 0)
        bar.addWidget(self.unsaved, 1)
        for action, name in (
            (self.undo_action, "undoButton"),
            (self.redo_action, "redoButton"),
            (self.save_action, "saveButton"),
        ):
            button = QPushButton(action.text().replace("&", ""))
            button.setObjectName(name)
            button.setToolTip(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
            button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            button.setEnabled(action.isEnabled())
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            bar.addWidget(button)
            setattr(self, name, button)
        if not self.chair:
            for name in ("undoButton", "redoButton", "saveButton"):
                getattr(self, name).hide()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(self.filter, 1)
        filters.addWidget(self.needs_only)
        left_layout.addWidget(self.summary_label)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.stack, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        right_layout.addLayout(bar)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("moderationSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([430, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        # Keyboard order: the list, then the matrix and the decision, then saving.
        detail = self.detail
        order = [
            self.filter,
            self.needs_only,
            self.table,
            detail.matrix,
            detail.value,
            detail.rationale,
            detail.record,
            detail.conditions,
            detail.feedback,
            detail.comments,
            detail.reveal,
            self.undoButton,
            self.redoButton,
            self.saveButton,
        ]
        for before, after in itertools.pairwise(order):
            QWidget.setTabOrder(before, after)

        self.filter.textChanged.connect(self._refilter)
        self.needs_only.toggled.connect(self._refilter)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.detail.reveal_changed.connect(self._reveal_changed)
        self.pending.changed.connect(self._pending_changed)
        self._pending_changed()

    # --- RoundPage -----------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        if not self._may_leave():
            return
        self.summary = summary
        if summary is None:
            self.model.set_rows([])
            self._empty("No rounds yet.")
            self.detail.show_nothing("Nothing to moderate until a round has reviews.")
            return
        viewer, round_id = self.workspace.viewer, summary.id
        try:
            # About a second for a 20,000-submission round: off the GUI thread.
            rows = run_in_background(
                self,
                f"Reading {summary.ref}",
                lambda progress: self.workspace.read(
                    moderation_views.moderation_list, round_id, viewer
                ),
                minimum_duration_ms=500,
            )
        except Cancelled:
            rows = []
        self.model.set_rows(rows)
        if rows:  # refs run to GW-00053 in a large round: show them whole
            longest = max((r.ref for r in rows), key=len)
            width = self.table.fontMetrics().horizontalAdvance(longest) + 18
            self.table.setColumnWidth(0, max(62, width))
        self._show_summary()
        self._after_filter(self._chosen)

    def refresh(self) -> None:
        self.show_round(self.summary)

    # --- the list ------------------------------------------------------------------------

    def _show_summary(self) -> None:
        total, needing = self.model.total, self.model.needing
        ref = self.summary.ref if self.summary else ""
        if total == 0:
            self.summary_label.setText(f"<b>{ref}</b>: no submission has reviewers yet.")
            return
        colour = "#b3261e" if needing else "#1b7f3a"
        self.summary_label.setText(
            f"<b>{ref}</b>: <span style='color:{colour}'><b>{needing:,}</b> of {total:,} "
            "reviewed submissions need moderation</span>"
        )

    def _empty(self, text: str) -> None:
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)

    def _refilter(self) -> None:
        if not self._may_leave():
            return
        self.model.set_filter(self.filter.text(), self.needs_only.isChecked())
        self._after_filter(self._chosen)

    def _after_filter(self, keep: int) -> None:
        if self.model.total == 0:
            self._empty(
                f"No submission in {self.summary.ref if self.summary else 'this round'} "
                "has reviewers yet: nothing to moderate."
            )
        elif self.model.rowCount() == 0:
            self._empty("No submission matches the filter.")
        else:
            self.stack.setCurrentWidget(self.table)
        row = self.model.row_of(keep) if keep >= 0 else -1
        self._select(max(row, 0) if self.model.rowCount() else -1)

    def _select(self, row: int) -> None:
        if row < 0:
            self._show(-1)
            return
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        self._show(self.model.row_at(row).id)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        chosen = self.model.row_at(current.row()).id if current.isValid() else -1
        if chosen == self._chosen:
            return
        if not self._may_leave():
            # Stay where the unsaved decisions are.
            row = self.model.row_of(self._chosen)
            if row >= 0:
                self.table.selectionModel().blockSignals(True)
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.table.selectionModel().blockSignals(False)
            return
        self._show(chosen)

    def _show(self, submission_id: int, keep_row: str | None = None) -> None:
        self._chosen = submission_id
        if submission_id < 0:
            self.detail.show_nothing("Choose a submission to see its reviewers' values.")
            return
        try:
            detail = self.workspace.read(
                moderation_views.submission_moderation,
                submission_id,
                self.workspace.viewer,
                self._reveal,
            )
        except BadInput as error:
            self.detail.show_nothing(str(error))
            return
        self.detail.show_detail(detail, keep_row)

    def _reveal_changed(self, reveal: bool) -> None:
        self._reveal = reveal
        row = self.detail.current_row()
        self._show(self._chosen, row.key if row else None)

    def chosen(self) -> int:
        return self._chosen

    # --- saving --------------------------------------------------------------------------

    def _pending_changed(self) -> None:
        items, texts = len(self.pending.items), len(self.pending.texts)
        if self.pending.empty:
            self.unsaved.setText("")
        else:
            parts = []
            if items:
                parts.append(f"{items} decision{'s' * (items != 1)}")
            if texts:
                parts.append("the outcome's text")
            self.unsaved.setText(
                "<span style='color:#8a5a00'>Unsaved: " + " and ".join(parts) + "</span>"
            )
        self.save_action.setEnabled(self.chair and not self.pending.empty)

    def save(self) -> bool:
        """Write the pending decisions; False (with a message) when they are refused."""
        self.detail.commit_texts()
        if self.pending.empty or self._chosen < 0:
            return True
        detail = self.detail.detail
        assert detail is not None
        items = [ItemDecision(k, d.value, d.rationale) for k, d in self.pending.items.items()]
        outcome = None
        if self.pending.texts:
            saved = detail.outcome
            outcome = OutcomeDecision(
                self.pending.texts.get(CONDITIONS, saved.conditions if saved else ""),
                self.pending.texts.get(FEEDBACK, saved.feedback if saved else ""),
            )
        try:
            result = self.workspace.run(
                save_moderation, self._chosen, self.workspace.person.email, items, outcome
            )
        except BadInput as error:
            show_bad_input(self, "Save moderation", error)
            return False
        row = self.detail.current_row()
        self.pending.clear()
        self._show(self._chosen, row.key if row else None)
        if self.summary is not None:
            updated = self.workspace.read(
                moderation_views.moderation_list,
                self.summary.id,
                self.workspace.viewer,
                self._chosen,
            )
            for r in updated:
                self.model.replace_row(r)
            self._show_summary()
        self.status.emit(f"Saved: {result.summary()}")
        return True

    def _may_leave(self) -> bool:
        """True when there is nothing unsaved, or the chair saved or discarded it."""
        self.detail.commit_texts()
        if self.pending.empty:
            return True
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved decisions",
            "Save the decisions on this submission before leaving it?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("unsavedDialog")
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.pending.clear()
            return True
        return False
