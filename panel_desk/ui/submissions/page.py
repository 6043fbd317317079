"""The Submissions page: the round's submissions beside the chosen one's detail."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from panel_desk.errors import BadInput
from panel_desk.services import submission_views
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.submissions.detail import SubmissionDetailPane
from panel_desk.ui.submissions.table_model import Counter
from panel_desk.ui.submissions.view import SubmissionsView
from panel_desk.ui.views import EVERYONE
from panel_desk.ui.workspace import Workspace

COUNT_ROUND_ABOVE = 2_000
"""Asked for more rows' counts than this, read the whole round's: one grouped pass."""


class SubmissionsPage(QWidget):
    title: ClassVar[str] = "Submissions"
    roles: ClassVar[frozenset[Role]] = EVERYONE

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submissionsPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.submissions = SubmissionsView()
        self.detail = SubmissionDetailPane()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("submissionsSplitter")
        self.splitter.addWidget(self.submissions)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([790, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.submissions.submission_chosen.connect(self._submission_chosen)
        self.detail.document_requested.connect(self._open_document)

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        if summary is None:
            self.submissions.show_rows(
                [],
                "No rounds yet.\n\nOpen one with `panel-desk round create`, or try the "
                "demo with `panel-desk demo`.",
            )
            self.detail.show_nothing("Nothing to show until a round has submissions.")
            return
        rows = self.workspace.read(
            submission_views.list_submissions, summary.id, self.workspace.viewer, counts=False
        )
        if self.workspace.role == Role.REVIEWER:
            empty = f"No submissions in {summary.ref} are assigned to you."
        else:
            empty = (
                f"No submissions in {summary.ref} yet.\n\nImport submissions.csv with "
                "File ▸ Import submissions… (Ctrl+I)."
            )
        self.submissions.show_rows(rows, empty, self._counter(summary.id))

    def _counter(self, round_id: int) -> Counter:
        """Reads counts as the table shows rows; many at once (to sort by a count), the
        whole round's in one go."""

        def count(ids: list[int]) -> dict[int, submission_views.SubmissionCounts]:
            wanted = None if len(ids) > COUNT_ROUND_ABOVE else ids
            return self.workspace.read(submission_views.submission_counts, round_id, wanted)

        return count

    def refresh(self) -> None:
        self.show_round(self.summary)

    def _submission_chosen(self, submission_id: int) -> None:
        if submission_id < 0:
            self.detail.show_nothing(
                "Choose a submission to see its fields, documents and screening."
            )
            return
        try:
            detail = self.workspace.read(
                submission_views.submission_detail, submission_id, self.workspace.viewer
            )
        except BadInput as error:
            self.detail.show_nothing(str(error))
            return
        self.detail.show_detail(detail)

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
