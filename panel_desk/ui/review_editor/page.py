"""The "My reviews" page: a reviewer's assignments in the round, the chosen submission
at hand, and the review editor beside it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import review_form, reviewing, submission_views
from panel_desk.services.exchange import packet_returns
from panel_desk.services.reviewing import Progress
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.review_editor.assignments import AssignmentsView
from panel_desk.ui.review_editor.attached_returns import returns_html
from panel_desk.ui.review_editor.editor import ReviewEditor
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.submissions.detail import SubmissionDetailPane
from panel_desk.ui.workspace import Workspace


class MyReviewsPage(QWidget):
    title: ClassVar[str] = "My reviews"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.REVIEWER})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("myReviewsPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.assignments = AssignmentsView()
        self.detail = SubmissionDetailPane()
        self.editor = ReviewEditor(workspace)
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("exportForm")
        self.export_button.setToolTip(
            "Write your open reviews of this round as a plain-text form, to edit in any editor"
        )
        self.import_button = QPushButton("Import…")
        self.import_button.setObjectName("importForm")
        self.import_button.setToolTip("Read an edited form back into your drafts (never submits)")
        self.export_button.clicked.connect(lambda: self.export_form())
        self.import_button.clicked.connect(lambda: self.import_form())
        offline = QHBoxLayout()
        offline.addWidget(QLabel("Offline form:"))
        offline.addWidget(self.export_button)
        offline.addWidget(self.import_button)
        offline.addStretch(1)
        self.assignments.layout().addLayout(offline)
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.addWidget(self.assignments)
        self.left.addWidget(self.detail)
        self.left.setStretchFactor(1, 1)
        self.left.setSizes([230, 620])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("myReviewsSplitter")
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([430, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.assignments.chosen.connect(self._chosen)
        self.assignments.entered.connect(self.focus_editor)
        self.editor.changed.connect(self._assignment_changed)
        self.editor.status.connect(self.status)
        self.detail.document_requested.connect(self._open_document)

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        if summary is None:
            self.assignments.show_reviews(None, "No rounds yet.")
            return
        mine = self.workspace.read(reviewing.my_reviews, self.workspace.person.email, summary.id)
        if not mine.items:
            self.assignments.show_reviews(None, f"You have no reviews to do in {summary.ref}.")
            return
        self.assignments.show_reviews(mine)

    def refresh(self) -> None:
        self.editor.save_now()
        self.show_round(self.summary)

    def focus_editor(self) -> None:
        if self.editor.cards:
            self.editor.cards[0].chooser.setFocus()

    def _chosen(self, assignment_id: int) -> None:
        if assignment_id < 0:
            self.editor.open_assignment(None)
            self.detail.show_nothing("Choose one of your assignments to read the submission.")
            return
        self.editor.open_assignment(assignment_id)
        form = self.editor.form
        if form is None:
            return
        if form.progress == Progress.CONFLICT:
            self.detail.show_nothing(
                f"You declared a conflict of interest with {form.submission_ref}: "
                "its fields and documents are no longer shown to you."
            )
            return
        try:
            detail = self.workspace.read(
                submission_views.submission_detail, form.submission_id, self.workspace.viewer
            )
        except BadInput as error:
            self.detail.show_nothing(str(error))
            return
        attached = self.workspace.read(packet_returns.attached_returns, form.submission_id)
        self.detail.show_detail(detail, returns_html(attached))

    def _assignment_changed(self, _assignment_id: int) -> None:
        if self.summary is not None:
            mine = self.workspace.read(
                reviewing.my_reviews, self.workspace.person.email, self.summary.id
            )
            table = self.assignments
            table.progress.setText(mine.progress_line())
            current = table.current_id()
            table.model.set_rows(mine.items)
            row = table.model.row_of(current) if current is not None else -1
            if row >= 0:
                table.table.blockSignals(True)
                table.table.selectionModel().blockSignals(True)
                table.select_row(row)
                table.table.selectionModel().blockSignals(False)
                table.table.blockSignals(False)

    # --- the offline form ------------------------------------------------------------------

    def export_form(self, path: Path | None = None) -> Path | None:
        """Write my form for the round to `path` (asked for when None)."""
        if self.summary is None:
            return None
        if path is None:
            name = f"review-form-{self.summary.ref}.txt"
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Export the offline review form", name, "Text files (*.txt)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        self.editor.save_now()
        try:
            count = self.workspace.read(
                review_form.write_form, self.workspace.person.email, self.summary.ref, path
            )
        except BadInput as error:
            show_bad_input(self, "Export the offline form", error)
            return None
        self.status.emit(f"Offline form with {count} review(s) written to {path}")
        return path

    def import_form(self, path: Path | None = None) -> str | None:
        """Fill my drafts from an edited form at `path` (asked for when None)."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Import an edited review form", "", "Text files (*.txt);;All files (*)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        self.editor.save_now()
        email, source = self.workspace.person.email, path
        try:  # off the GUI thread, in one transaction: Cancel rolls it all back
            result = run_in_background(
                self,
                f"Importing {path.name}",
                lambda progress: self.workspace.run(
                    review_form.import_form, source, email, progress
                ),
            )
        except BadInput as error:
            show_bad_input(self, "Import the offline form", error)
            return None
        except Cancelled:
            self.status.emit(f"Importing {path.name} was cancelled; no review was changed")
            return None
        self.show_round(self.summary)
        self.editor.reload()
        self.status.emit(str(result))
        return str(result)

    def _open_document(self, document_id: int) -> None:
        try:
            path = self.workspace.read(
                submission_views.copy_document_for_viewing, document_id, self.workspace.viewer
            )
        except BadInput as error:
            show_bad_input(self, "Open document", error)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.status.emit(f"No application opens {path.name}; saved at {path}")
