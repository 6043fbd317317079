"""The Assignment page: each submission with its team and the expertise it covers, each
reviewer's load, teams assigned in one go, and changes by hand that can be undone.

Every change goes through the assignment service, which checks conflicts each time: a
refusal is shown with the rule and the evidence that made it.
"""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import assignment, assignment_changes, assignment_views
from panel_desk.services.assignment_views import AssignmentOverview, TeamRow
from panel_desk.services.conflicts import ConflictRefused
from panel_desk.services.progress import Progress
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.assignment.commands import TeamChange
from panel_desk.ui.assignment.dialogs import CandidateDialog
from panel_desk.ui.assignment.tables import (
    COVERAGE,
    LOAD_COLUMNS,
    TEAM_COLUMNS,
    table_view,
)
from panel_desk.ui.conflicts.dialogs import show_refusal
from panel_desk.ui.conflicts.list_model import ListTableModel, Prepared
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import OneAtATime, run_in_background
from panel_desk.ui.workspace import Workspace


def _reviews(n: int) -> str:
    return f"{n} review{'s' * (n != 1)}"


class AssignmentPage(QWidget):
    title: ClassVar[str] = "Assignment"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assignmentPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.overview: AssignmentOverview | None = None
        self.reasons: dict[str, str] = {}  # ref → why the last run found no valid team
        self.undo_stack = QUndoStack(self)
        self._reads = OneAtATime()

        self.size = QSpinBox(minimum=1, maximum=assignment.MAX_TEAM, value=3)
        self.size.setObjectName("teamSize")
        self.size.setAccessibleName("Reviewers per submission")
        self.max_load = QSpinBox(minimum=0, maximum=9999, value=0)
        self.max_load.setObjectName("maxLoad")
        self.max_load.setSpecialValueText("no limit")
        self.max_load.setAccessibleName("Most reviews per reviewer")
        self.assign = QPushButton("&Assign teams")
        self.assign.setObjectName("assignTeamsButton")
        self.assign.setToolTip(
            "Check conflicts, then give every submission through screening a full team "
            "covering the expertise mix, keeping the reviewers it has"
        )
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.undo_button, self.redo_button = QToolButton(), QToolButton()
        for button, action, name in (
            (self.undo_button, undo, "undo"),
            (self.redo_button, redo, "redo"),
        ):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
            button.setDefaultAction(action)
            button.setObjectName(f"{name}Button")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.undo_action, self.redo_action = undo, redo
        self.filter = QLineEdit(placeholderText="Filter by ref, title, area or reviewer")
        self.filter.setObjectName("assignmentFilter")
        self.filter.setClearButtonEnabled(True)
        self.coverage = QComboBox()
        self.coverage.setObjectName("coverageFilter")
        self.coverage.addItems([label for label, _ in COVERAGE])
        self.coverage.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.coverage.setMinimumContentsLength(12)
        self.count = QLabel()
        self.count.setObjectName("assignmentCount")
        self.count.setMinimumWidth(0)
        self.count.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.teams = ListTableModel(TEAM_COLUMNS, lambda r: r.submission_id, self)
        self.table = table_view(self.teams, "teamsTable", "Submissions and their teams", 1)
        for column, width in ((0, 84), (2, 110), (3, 46), (4, 190), (5, 140), (6, 70)):
            self.table.setColumnWidth(column, width)
        self.loads = ListTableModel(LOAD_COLUMNS, lambda r: r.person_id, self)
        self.load_table = table_view(self.loads, "loadTable", "Load per reviewer", 2)
        self.load_table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        for column, width in ((0, 150), (1, 44)):
            self.load_table.setColumnWidth(column, width)

        self.team_title = QLabel()
        self.team_title.setObjectName("teamTitle")
        self.team_title.setWordWrap(True)
        self.members = QListWidget()
        self.members.setObjectName("teamMembers")
        self.members.setAccessibleName("Team members")
        self.members.setWordWrap(True)
        self.members.setAlternatingRowColors(True)
        self._member_emails: list[str] = []
        self.add_button = QPushButton("Add &reviewer…")
        self.add_button.setObjectName("addReviewerButton")
        self.remove_button = QPushButton("Re&move from team")
        self.remove_button.setObjectName("removeReviewerButton")

        bar = QHBoxLayout()
        for text, widget in (("Per submission:", self.size), ("Most per reviewer:", self.max_load)):
            caption = QLabel(text)
            caption.setBuddy(widget)
            bar.addWidget(caption)
            bar.addWidget(widget)
        bar.addWidget(self.assign)
        bar.addWidget(self.undo_button)
        bar.addWidget(self.redo_button)
        bar.addWidget(self.count, 1)
        filters = QHBoxLayout()
        filters.addWidget(self.filter, 1)
        filters.addWidget(self.coverage)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        team_box = QWidget()
        team_layout = QVBoxLayout(team_box)
        team_layout.setContentsMargins(0, 0, 0, 0)
        team_layout.addWidget(self.team_title)
        team_layout.addWidget(self.members, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        team_layout.addLayout(buttons)
        loads_box = QWidget()
        loads_layout = QVBoxLayout(loads_box)
        loads_layout.setContentsMargins(0, 0, 0, 0)
        loads_layout.addWidget(QLabel("<b>Load per reviewer</b> (active reviews in this round)"))
        loads_layout.addWidget(self.load_table, 1)
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(team_box)
        side.addWidget(loads_box)
        side.setSizes([300, 420])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("assignmentSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([800, 390])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        for shortcut, slot, text in (
            ("Insert", self.add_reviewer, "Add a reviewer to the team…"),
            ("Delete", self.remove_reviewer, "Remove the reviewer from the team"),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
        self.assign.clicked.connect(self.assign_teams)
        self.add_button.clicked.connect(self.add_reviewer)
        self.remove_button.clicked.connect(self.remove_reviewer)
        self.filter.textChanged.connect(self._refilter)
        self.coverage.currentIndexChanged.connect(self._refilter)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.members.currentRowChanged.connect(lambda _row: self._enable())
        self._chosen: TeamRow | None = None

    # --- RoundPage -----------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        if summary is None or self.summary is None or summary.ref != self.summary.ref:
            self.undo_stack.clear()  # its changes belong to the round they were made in
            self.reasons = {}
        self.summary = summary
        self._load()

    def refresh(self) -> None:
        self._load()

    # --- loading -------------------------------------------------------------------------

    def _load(self) -> None:
        self._reads(self._read)

    def _read(self) -> None:
        """Read the round's teams off the GUI thread (a 20,000-submission round takes
        seconds); Cancel leaves the page usable, saying what it does not show."""
        keep = self._chosen.submission_id if self._chosen else None
        if self.summary is None:
            self.overview = None
            self.teams.set_rows([])
            self.loads.set_rows([])
        else:
            round_id, ref = self.summary.id, self.summary.ref

            def read(progress: Progress) -> tuple[AssignmentOverview, Prepared, Prepared]:
                overview = self.workspace.read(
                    assignment_views.assignment_overview, round_id, progress
                )
                progress(len(overview.rows), len(overview.rows), "Preparing the table")
                return (
                    overview,
                    self.teams.prepare(overview.rows),
                    self.loads.prepare(overview.reviewers),
                )

            try:
                self.overview, teams, loads = run_in_background(
                    self, f"Reading the teams of {ref}", read
                )
            except Cancelled:
                self._read_cancelled(ref)
                return
            if not self.undo_stack.count():
                self.size.setValue(self.overview.team_size)
            self.teams.set_rows(teams)
            self.loads.set_rows(loads)
        self._refilter(keep)

    def _read_cancelled(self, ref: str) -> None:
        if self.overview is not None and self.overview.round_ref != ref:
            self.overview = None  # another round's teams: not to be shown as this one's
            self.teams.set_rows([])
            self.loads.set_rows([])
        self._refilter()
        kept = "the teams read before are shown" if self.overview else "no teams are shown"
        self.count.setText("Reading cancelled")
        self.team_title.setText(
            f"Reading the teams of {ref} was cancelled: {kept}. Refresh (F5) to read them again."
        )
        self.status.emit(f"Reading the teams of {ref} was cancelled; nothing was changed")

    def _refilter(self, keep: int | None = None) -> None:
        if not isinstance(keep, int) or isinstance(keep, bool):
            keep = self._chosen.submission_id if self._chosen else None
        accept = COVERAGE[self.coverage.currentIndex()][1]
        self.teams.set_filter(self.filter.text(), accept)
        shown, total = self.teams.rowCount(), self.teams.total
        staffed = sum(1 for r in self.overview.rows if r.covered) if self.overview else 0
        self.count.setText(
            (f"{shown} of {total} shown · " if shown != total else "")
            + f"{staffed} of {total} with a team covering the mix"
        )
        row = self.teams.row_of(keep) if keep is not None else 0
        if self.teams.rowCount():
            index = self.teams.index(max(row, 0), 0)
            self.table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)
            self._show(self.teams.row_at(index.row()))
        else:
            self._show(None)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show(self.teams.row_at(current.row()) if current.isValid() else None)

    def _show(self, row: TeamRow | None) -> None:
        self._chosen = row
        self.members.clear()
        self._member_emails = []
        if row is None:
            self.team_title.setText("Choose a submission to see its team.")
            self._enable()
            return
        loads = {r.person_id: r.load for r in self.overview.reviewers} if self.overview else {}
        if not row.members:
            holds = "nobody is assigned yet"
        elif row.missing:
            holds = f"the team still lacks <b>{', '.join(row.missing)}</b>"
        else:
            holds = "the team covers them all"
        why = self.reasons.get(row.ref, "")
        self.team_title.setText(
            f"<b>{row.ref}</b> — {row.title}<br>Needs {', '.join(row.needs)}; {holds}"
            + (f"<br><span style='color:#b3261e'>No valid team: {why}</span>" if why else "")
        )
        for member in row.members:
            self.members.addItem(
                f"{member.name} <{member.email}> · {_reviews(loads.get(member.person_id, 0))}\n"
                f"    {', '.join(member.tags) or 'no expertise tags'}"
            )
            self._member_emails.append(member.email)
        self._enable()

    def _enable(self) -> None:
        row = self._chosen
        self.add_button.setEnabled(row is not None and row.ready)
        self.remove_button.setEnabled(row is not None and self.members.currentRow() >= 0)
        self.assign.setEnabled(self.summary is not None)

    # --- changes -------------------------------------------------------------------------

    def _failed(self, error: BadInput) -> None:
        if isinstance(error, ConflictRefused):
            show_refusal(self, error)
        else:
            show_bad_input(self, "Assignment", error)

    def _push(self, text: str, pairs: list[tuple[str, str]], adding: bool) -> None:
        assert self.summary is not None
        self.undo_stack.push(
            TeamChange(
                text, self.workspace, self.summary.ref, pairs, adding, self._load, self._failed
            )
        )

    def add_reviewer(self) -> None:
        row = self._chosen
        if row is None or self.summary is None or not row.ready:
            return
        candidates = self.workspace.read(
            assignment_views.candidates_for, self.summary.id, row.submission_id
        )
        dialog = CandidateDialog(row, candidates, self)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen() is None:
            return
        self.assign_one(row.ref, dialog.chosen().email)

    def assign_one(self, ref: str, email: str) -> bool:
        """Put `email` on `ref`'s team now; a refusal is explained and changes nothing."""
        assert self.summary is not None
        me = self.workspace.person.email
        try:
            self.workspace.run(assignment_changes.assign_reviewer, self.summary.ref, ref, email, me)
        except BadInput as error:
            self._failed(error)
            return False
        self._push(f"add {email} to {ref}", [(ref, email)], adding=True)
        self.status.emit(f"{email} assigned to {ref} (Ctrl+Z to undo)")
        self._load()
        return True

    def remove_reviewer(self) -> None:
        row, at = self._chosen, self.members.currentRow()
        if row is None or self.summary is None or at < 0:
            return
        email = self._member_emails[at]
        me = self.workspace.person.email
        self.workspace.run(
            assignment_changes.withdraw_reviewer, self.summary.ref, row.ref, email, me
        )
        self._push(f"remove {email} from {row.ref}", [(row.ref, email)], adding=False)
        self.status.emit(f"{email} withdrawn from {row.ref} (Ctrl+Z to undo)")
        self._load()

    def assign_teams(self) -> None:
        if self.summary is None:
            return
        ref, me = self.summary.ref, self.workspace.person.email
        size, limit = self.size.value(), self.max_load.value() or None
        try:
            report = run_in_background(
                self,
                f"Assigning reviewers in {ref}",
                lambda progress: self.workspace.run(
                    assignment.assign_round, ref, size, limit, me, progress
                ),
            )
        except BadInput as error:
            show_bad_input(self, "Assign teams", error)
            return
        except Cancelled:
            self.status.emit("Assigning was cancelled; nothing was changed")
            return
        self.reasons = {o.ref: o.reason for o in report.unassigned}
        pairs = [(o.ref, email) for o in report.outcomes for email in o.added]
        if pairs:
            self._push(f"assign {len(pairs)} reviewers in {ref}", pairs, adding=True)
        self.status.emit(
            f"{report.added} assignments made; {len(report.unassigned)} submissions without "
            f"a valid team; {len(report.skipped)} not through screening ({report.seconds:.1f} s)"
        )
        self._load()
