"""The Conflicts page: every conflict-of-interest flag of the round, with its rule and
evidence, filtered by person or submission, and the secretariat's decisions on it.

Combo boxes keep their values in Python lists beside them (see ui/audit/page.py on why
QVariant data is avoided in combo boxes here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import conflict_decisions, conflicts
from panel_desk.services.conflict_rules import RULES
from panel_desk.services.conflicts import FlagView
from panel_desk.services.progress import Progress
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.conflicts.commands import FlagDecision
from panel_desk.ui.conflicts.dialogs import DecisionDialog
from panel_desk.ui.conflicts.list_model import Column, ListTableModel, Prepared
from panel_desk.ui.conflicts.organisations import OrganisationsDialog
from panel_desk.ui.conflicts.render import flag_colour, flag_html, rule_text
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import OneAtATime, run_in_background
from panel_desk.ui.workspace import Workspace

COLUMNS = (
    Column("Submission", lambda f: f.submission_ref, lambda f: f.submission_ref),
    Column("Person", lambda f: f.person_name, lambda f: f.person_name.casefold()),
    Column("E-mail", lambda f: f.person_email, lambda f: f.person_email),
    Column("Rule", rule_text, lambda f: f.rule_number, searched=False),
    Column("Severity", lambda f: f.severity, lambda f: f.severity, searched=False),
    Column(
        "Decision",
        lambda f: f.decision_label,
        lambda f: (not f.blocking, f.decision_label),
        colour=flag_colour,
        searched=False,
    ),
    Column("Evidence", lambda f: f.explanation, lambda f: f.explanation, searched=False),
)
STATES: tuple[tuple[str, Callable[[FlagView], bool] | None], ...] = (
    ("Keeping someone off (blocking)", lambda f: f.blocking),
    ("Needing a decision", lambda f: f.blocking and f.status == "open" and not f.awaiting_second),
    ("Waiting for a second person", lambda f: f.awaiting_second),
    ("Decided", lambda f: not f.blocking),
    ("Every flag", None),
)


HELD = 5_000
"""The most flags the page reads at once; beyond it the filter words go to the database."""


class ConflictsPage(QWidget):
    title: ClassVar[str] = "Conflicts"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictsPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.filter = QLineEdit(placeholderText="Filter by person or submission")
        self.filter.setObjectName("conflictFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter conflicts by person or submission")
        self._rules = ["", *RULES]
        self.rule = QComboBox()
        self.rule.setObjectName("conflictRule")
        self.rule.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.rule.setMinimumContentsLength(12)
        self.rule.setAccessibleName("Rule")
        self.rule.addItems(["Every rule", *(f"{r.number} · {r.label}" for r in RULES.values())])
        self.state = QComboBox()
        self.state.setObjectName("conflictState")
        self.state.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.state.setMinimumContentsLength(22)
        self.state.setAccessibleName("Decision")
        self.state.addItems([label for label, _ in STATES])
        self.count = QLabel()
        self.count.setObjectName("conflictCount")
        self.count.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.check = QPushButton("Check conflicts now")
        self.check.setObjectName("checkConflictsButton")
        self.check.setToolTip("Run the rules again over the roster and the submissions (Ctrl+K)")
        self.organisations = QPushButton("&Organisations…")
        self.organisations.setObjectName("organisationsButton")
        self.organisations.setToolTip(
            "The alias table: other names and mail domains of one organisation"
        )

        self.model = ListTableModel(COLUMNS, lambda f: f.id, self)
        self.table = QTableView()
        self.table.setObjectName("conflictsTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setAccessibleName("Conflict flags")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 92), (1, 150), (2, 210), (3, 170), (4, 60), (5, 190)):
            self.table.setColumnWidth(column, width)
        self.empty = QLabel()
        self.empty.setObjectName("conflictsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.detail = QTextBrowser()
        self.detail.setObjectName("conflictDetail")
        self.detail.setAccessibleName("Conflict flag")

        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for decision, text, tip in (
            ("clear", "&Clear…", "No conflict in fact (a hard flag also needs a second person)"),
            ("manage", "&Manage…", "Soft flags: the person may review under an arrangement"),
            ("second", "&Second the clearance…", "Agree to another's clearance of a hard flag"),
            ("reopen", "&Reopen…", "Undo a decision: the flag blocks again"),
        ):
            button = QPushButton(text)
            button.setObjectName(f"{decision}ConflictButton")
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, d=decision: self._decide(d))
            actions.addWidget(button)
            self.buttons[decision] = button
        actions.addSpacing(12)
        actions.addWidget(self.organisations)
        actions.addStretch(1)
        actions.addWidget(self.count)

        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.rule)
        bar.addWidget(self.state)
        bar.addWidget(self.check)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.detail, 1)
        lower_layout.addLayout(actions)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("conflictsSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.empty)
        self.splitter.addWidget(lower)
        self.splitter.setSizes([470, 0, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        check = QAction("Check conflicts now", self)
        check.setShortcut(QKeySequence("Ctrl+K"))
        check.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        check.triggered.connect(self.check_now)
        self.addAction(check)
        self.check.clicked.connect(self.check_now)
        self.organisations.clicked.connect(self.edit_organisations)
        self._search = QTimer(
            self
        )  # on a big round the filter asks the database, once typing pauses
        self._search.setSingleShot(True)
        self._search.setInterval(250)
        self._search.timeout.connect(self._load)
        self._in_database = 0  # flags in the round when more than are held at once, else 0
        self._read_ref: str | None = None  # the round whose flags the model holds
        self._reads = OneAtATime()
        self.undo_stack = QUndoStack(self)  # Edit ▸ Undo takes decisions back, audited
        self.filter.textChanged.connect(self._filter_changed)
        self.rule.currentIndexChanged.connect(self._refilter)
        self.state.currentIndexChanged.connect(self._refilter)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._after_reset)
        self._chosen: FlagView | None = None
        self._refilter()

    # --- RoundPage -----------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        if summary is None or self.summary is None or summary.ref != self.summary.ref:
            self.undo_stack.clear()  # its decisions belong to the round they were made in
        self.summary = summary
        self._load()

    def refresh(self) -> None:
        self._load()

    # --- loading and filtering -----------------------------------------------------------

    def _load(self, keep: int | None = None) -> None:
        """Read the round's flags: all of them, or on a round with more than HELD, those
        matching the filter words (the first HELD of them)."""
        self._reads(lambda: self._read(keep))

    def _read(self, keep: int | None) -> None:
        """Off the GUI thread (a 20,000-submission round holds hundreds of thousands of
        flags); Cancel leaves the page usable and says what it does not show."""
        keep = keep if keep is not None else (self._chosen.id if self._chosen else None)
        flags: Prepared | list[FlagView] = []
        in_database = 0
        if self.summary is not None:
            round_id, ref, words = self.summary.id, self.summary.ref, self.filter.text()

            def read(progress: Progress) -> tuple[int, Prepared]:
                progress(0, 0, f"Counting the conflict flags of {ref}")
                total = self.workspace.read(conflicts.count_flags, round_id)
                if total <= HELD:
                    total = 0
                    found = self.workspace.read(conflicts.list_flags, round_id, progress=progress)
                else:
                    found = self.workspace.read(
                        conflicts.list_flags, round_id, search=words, limit=HELD, progress=progress
                    )
                progress(len(found), len(found), "Preparing the table")
                return total, self.model.prepare(found)  # its texts, here in the worker

            try:
                in_database, flags = run_in_background(
                    self, f"Reading the conflict flags of {ref}", read
                )
            except Cancelled:
                self._read_cancelled(ref)
                return
        self._read_ref = self.summary.ref if self.summary else None
        self._in_database = in_database
        self.model.set_rows(flags)
        self._refilter(keep)

    def _read_cancelled(self, ref: str) -> None:
        if self._read_ref != ref:  # another round's flags: not to be shown as this one's
            self._read_ref, self._in_database = None, 0
            self.model.set_rows([])
        self._refilter()
        kept = "the flags read before are shown" if self._read_ref else "no flags are shown"
        message = f"Reading the conflict flags of {ref} was cancelled: {kept}."
        self.count.setText("Reading cancelled")
        self.empty.setText(f"{message} Refresh (F5) to read them again.")
        self.detail.setHtml(f"<p>{message} Refresh (F5) to read them again.</p>")
        self.status.emit(f"{message[:-1]}; nothing was changed")

    def _filter_changed(self) -> None:
        if self._in_database:
            self._search.start()
        else:
            self._refilter()

    def _refilter(self, keep: int | None = None) -> None:
        if not isinstance(keep, int) or isinstance(keep, bool):
            keep = self._chosen.id if self._chosen else None
        rule = self._rules[self.rule.currentIndex()]
        state = STATES[self.state.currentIndex()][1]

        def accept(flag: FlagView) -> bool:
            return (not rule or flag.rule == rule) and (state is None or state(flag))

        # On a big round the database has already applied the words.
        words = "" if self._in_database else self.filter.text()
        self.model.set_filter(words, accept)
        self._select(keep)

    def show_filtered(self, text: str, state: int = len(STATES) - 1) -> None:
        """Show the flags matching `text` (a person or a submission) in any state."""
        self.state.setCurrentIndex(state)
        self.filter.setText(text)

    def _after_reset(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        if self._in_database:
            self.count.setText(f"{shown:,} shown of {self._in_database:,} flags")
            self.count.setToolTip(
                f"A round this size has too many flags to list at once: the first {HELD:,} "
                "matching the filter are read. Type a person or a submission to find theirs."
            )
        else:
            self.count.setText(f"{shown} of {total} flags" if shown != total else f"{total} flags")
            self.count.setToolTip("")
        if total == 0:
            self.empty.setText(
                "No conflicts of interest on record for this round. Check them now "
                "(Ctrl+K) after importing the roster and the submissions."
                if self.summary
                else "No rounds yet."
            )
        elif shown == 0:
            self.empty.setText("No flag matches the filter.")
        self.table.setVisible(shown > 0)
        self.empty.setVisible(shown == 0)

    def _select(self, flag_id: int | None) -> None:
        if self.model.rowCount() == 0:
            self._show(None)
            return
        row = self.model.row_of(flag_id) if flag_id is not None else 0
        index = self.model.index(max(row, 0), 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        self._show(self.model.row_at(index.row()))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show(self.model.row_at(current.row()) if current.isValid() else None)

    def _show(self, flag: FlagView | None) -> None:
        self._chosen = flag
        if flag is None:
            self.detail.setHtml("<p style='color:#6f6f6f'>Choose a flag to see its evidence.</p>")
        else:
            self.detail.setHtml(flag_html(flag))
        me = self.workspace.person.email
        decidable = flag is not None and flag.rule != "own_declaration" and flag.person_email != me
        hard = flag is not None and flag.severity == "hard"
        self.buttons["clear"].setEnabled(decidable and flag.blocking and not flag.awaiting_second)
        self.buttons["manage"].setEnabled(decidable and not hard and flag.status != "managed")
        self.buttons["second"].setEnabled(
            decidable and flag.awaiting_second and flag.decided_by != me
        )
        self.buttons["reopen"].setEnabled(decidable and bool(flag.decided_by))

    # --- commands ------------------------------------------------------------------------

    def chosen(self) -> FlagView | None:
        return self._chosen

    def _decide(self, decision: str) -> None:
        flag = self._chosen
        if flag is None:
            return
        dialog = DecisionDialog(flag, decision, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        me = self.workspace.person.email
        try:
            if decision == "second":
                done = self.workspace.run(conflict_decisions.second, flag.id, me)
            else:
                done = self.workspace.run(
                    conflict_decisions.decide, flag.id, decision, dialog.text(), me
                )
        except BadInput as error:
            show_bad_input(self, "Decision on a conflict", error)
            return
        self.undo_stack.push(
            FlagDecision(
                f"{decision} the flag on {done.submission_ref}, {done.person_name}",
                self.workspace,
                flag.id,
                self._reverted,
                lambda error: show_bad_input(self, "Undo a decision on a conflict", error),
            )
        )
        self.status.emit(
            f"{done.submission_ref}, {done.person_name}: {done.decision_label} (Ctrl+Z to undo)"
        )
        self._load(keep=flag.id)

    def _reverted(self, flag: FlagView | None, message: str) -> None:
        if flag is not None:
            self.status.emit(f"{message} — {flag.decision_label}")
        self._load(keep=flag.id if flag is not None else None)

    def check_now(self) -> None:
        if self.summary is None:
            return
        ref, me = self.summary.ref, self.workspace.person.email
        try:
            report = run_in_background(
                self,
                f"Checking conflicts of interest in {ref}",
                lambda progress: self.workspace.run(conflicts.detect_conflicts, ref, me, progress),
            )
        except BadInput as error:
            show_bad_input(self, "Check conflicts", error)
            return
        except Cancelled:
            self.status.emit("Checking conflicts was cancelled; nothing was changed")
            return
        withdrawn = f", {len(report.withdrawn)} withdrawn" if report.withdrawn else ""
        self.status.emit(
            f"{ref}: {report.flags} flags ({report.added} new, {report.reopened} reopened, "
            f"{report.lapsed} lapsed{withdrawn})"
        )
        self._load()

    def edit_organisations(self) -> None:
        """The alias table; each change checks this round's conflicts again."""
        dialog = OrganisationsDialog(
            self.workspace, self.summary.ref if self.summary else None, self
        )
        dialog.changed.connect(self.status.emit)
        dialog.exec()
        self._load()
