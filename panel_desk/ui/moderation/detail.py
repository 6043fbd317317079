"""One submission as the chair moderates it: the matrix, what the reviewers said, the
decision on the chosen item, and the outcome with its conditions and feedback.

Keyboard: in the matrix the arrows choose an item and Enter goes to its decision; the
value list takes digits and first letters; Tab reaches the rationale; Ctrl+Return
records the decision (undoable with Ctrl+Z until saved); Ctrl+J jumps to the next item
still to moderate. The page owns Save (Ctrl+S).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.moderation_views import MatrixRow, SubmissionModeration
from panel_desk.ui.moderation.decisions import CONDITIONS, FEEDBACK, PendingDecisions
from panel_desk.ui.moderation.matrix_model import Decision, MatrixModel
from panel_desk.ui.moderation.spread_chart import SpreadChartDelegate

CHOOSE = "Choose a value…"


class MatrixView(QTableView):
    """Enter on a row asks for its decision (a signal), instead of editing the cell."""

    decide = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.decide.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class ModerationDetail(QWidget):
    """Emits `reveal_changed(bool)` when the chair shows or hides the reviewers' names."""

    reveal_changed = Signal(bool)

    def __init__(self, pending: PendingDecisions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationDetail")
        self.pending = pending
        self.detail: SubmissionModeration | None = None
        self._values: list[str] = []

        self.heading = QLabel()
        self.heading.setObjectName("moderationHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.reveal = QCheckBox("Show reviewers' &names")
        self.reveal.setObjectName("revealReviewers")
        self.reveal.setToolTip("Reviewers are R1, R2… unless you reveal them")

        self.model = MatrixModel(self)
        self.matrix = MatrixView()
        self.matrix.setObjectName("moderationMatrix")
        self.matrix.setAccessibleName("Criteria and reviewers' values")
        self.matrix.setModel(self.model)
        self.spread_delegate = SpreadChartDelegate(self.matrix)
        self._delegate_column = -1
        self.may_reveal = False
        self.matrix.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setWordWrap(False)
        self.matrix.setTabKeyNavigation(False)
        self.matrix.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.matrix.verticalHeader().hide()
        self.matrix.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.matrix.horizontalHeader().setHighlightSections(False)

        self.comments = QTextBrowser()
        self.comments.setObjectName("reviewerComments")
        self.comments.setAccessibleName("What the reviewers said")
        self.comments.setOpenLinks(False)

        # The decision on the chosen item.
        self.item_title = QLabel()
        self.item_title.setObjectName("decisionTitle")
        self.item_title.setWordWrap(True)
        self.value = QComboBox()
        self.value.setObjectName("moderatedValue")
        self.value.setAccessibleName("Moderated value")
        self.rationale = QPlainTextEdit()
        self.rationale.setObjectName("moderationRationale")
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setPlaceholderText("Why this value: required for every divergent item")
        self.rationale.setTabChangesFocus(True)
        self.rationale.setMaximumHeight(90)
        self.record = QPushButton("Recor&d decision")
        self.record.setObjectName("recordDecision")
        self.record.setToolTip("Ctrl+Return · undo with Ctrl+Z until you save")
        self.hint = QLabel()
        self.hint.setObjectName("decisionHint")
        self.hint.setWordWrap(True)
        decision = QGroupBox("Moderated value")
        decision.setObjectName("decisionBox")
        form = QFormLayout(decision)
        form.addRow(self.item_title)
        value_label = QLabel("Val&ue:")
        value_label.setBuddy(self.value)
        form.addRow(value_label, self.value)
        rationale_label = QLabel("R&ationale:")
        rationale_label.setBuddy(self.rationale)
        form.addRow(rationale_label, self.rationale)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.record)
        form.addRow(buttons)
        self.decision_box = decision

        # The outcome.
        self.outcome = QLabel()
        self.outcome.setObjectName("outcomeLabel")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.conditions = QLineEdit()
        self.conditions.setObjectName("outcomeConditions")
        self.conditions.setAccessibleName("Conditions")
        self.feedback = QPlainTextEdit()
        self.feedback.setObjectName("outcomeFeedback")
        self.feedback.setAccessibleName("Feedback for the submitter")
        self.feedback.setPlaceholderText("The feedback the submitter will receive")
        self.feedback.setTabChangesFocus(True)
        self.feedback.setMaximumHeight(90)
        outcome = QGroupBox("Moderated outcome")
        outcome.setObjectName("outcomeBox")
        outcome_form = QFormLayout(outcome)
        outcome_form.addRow(self.outcome)
        conditions_label = QLabel("C&onditions:")
        conditions_label.setBuddy(self.conditions)
        outcome_form.addRow(conditions_label, self.conditions)
        feedback_label = QLabel("Feed&back:")
        feedback_label.setBuddy(self.feedback)
        outcome_form.addRow(feedback_label, self.feedback)
        self.outcome_box = outcome
        self.read_only = QLabel()
        self.read_only.setObjectName("moderationReadOnly")
        self.read_only.setWordWrap(True)
        self.read_only.setStyleSheet("color: #5f6368;")

        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.reveal, 0, Qt.AlignmentFlag.AlignTop)
        editors = QWidget()
        editors_layout = QVBoxLayout(editors)
        editors_layout.setContentsMargins(0, 0, 0, 0)
        editors_layout.addWidget(self.read_only)
        editors_layout.addWidget(decision)
        editors_layout.addWidget(outcome)
        editors_layout.addStretch(1)
        # The editors scroll rather than hold the window to their height.
        scroller = QScrollArea()
        scroller.setObjectName("decisionScroller")
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(editors)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.comments)
        lower.addWidget(scroller)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("moderationDetailSplitter")
        self.splitter.addWidget(self.matrix)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([370, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        self.reveal.toggled.connect(self.reveal_changed)
        self.matrix.selectionModel().currentRowChanged.connect(lambda *_: self._row_changed())
        self.matrix.decide.connect(self.focus_decision)
        self.record.clicked.connect(self.record_decision)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setWhatsThis("Record the moderated value")  # listed in Help ▸ Keyboard…
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.record_decision)
        self.next_shortcut = QShortcut(QKeySequence("Ctrl+J"), self)
        self.next_shortcut.setWhatsThis("Jump to the next item to moderate")
        self.next_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.next_shortcut.activated.connect(self.next_to_moderate)
        self.conditions.editingFinished.connect(self._conditions_edited)
        self.feedback.installEventFilter(self)
        self.pending.changed.connect(self._pending_changed)
        self.show_nothing("Choose a submission to see its reviewers' values.")

    # --- showing -------------------------------------------------------------------------

    def show_nothing(self, text: str) -> None:
        self.detail = None
        self.model.show(None, {})
        self.heading.setText(f"<span style='color:#5f6368'>{escape(text)}</span>")
        self.comments.clear()
        for widget in (self.decision_box, self.outcome_box, self.reveal):
            widget.setEnabled(False)
        self.read_only.hide()

    def show_detail(self, detail: SubmissionModeration, keep_row: str | None = None) -> None:
        self.detail = detail
        self.model.show(detail, self.pending.items)
        header = self.matrix.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        for n in range(len(detail.reviewers)):
            self.matrix.setColumnWidth(1 + n, 112 if detail.revealed else 78)
        if self._delegate_column != self.model.spread_column:
            if self._delegate_column >= 0:
                self.matrix.setItemDelegateForColumn(self._delegate_column, None)
            self._delegate_column = self.model.spread_column
            self.matrix.setItemDelegateForColumn(self._delegate_column, self.spread_delegate)
        self.matrix.setColumnWidth(self.model.spread_column, 140)
        self.matrix.setColumnWidth(self.model.moderated_column, 118)
        self._fit_matrix()
        self._show_heading()
        self.reveal.setEnabled(detail.may_moderate or self.may_reveal)
        self.reveal.blockSignals(True)
        self.reveal.setChecked(detail.revealed)
        self.reveal.blockSignals(False)
        self.read_only.setVisible(not detail.may_moderate)
        self.read_only.setText(detail.why_not)
        self.decision_box.setEnabled(detail.may_moderate)
        self.decision_box.setVisible(detail.may_moderate)
        self.outcome_box.setEnabled(detail.may_moderate)
        row = self.model.row_of(keep_row) if keep_row else -1
        if row < 0:
            row = next((n for n, r in enumerate(detail.rows) if r.needs_moderation), 0)
        self.choose_row(row)
        self._show_outcome()

    def _fit_matrix(self) -> None:
        """Give the matrix the height of its rows, and the rest to the decision below."""
        rows = self.model.rowCount()
        wanted = (
            self.matrix.horizontalHeader().sizeHint().height()
            + rows * self.matrix.verticalHeader().defaultSectionSize()
            + 2 * self.matrix.frameWidth()
            + 6
        )
        total = sum(self.splitter.sizes())
        if total > wanted + 200:
            self.splitter.setSizes([wanted, total - wanted])

    def _show_heading(self) -> None:
        detail = self.detail
        assert detail is not None
        submitted = sum(1 for r in detail.reviewers if r.counts)
        divergent = len(detail.divergent)
        left = sum(1 for r in detail.rows if self.model.state(r) == "needs")
        if not divergent:
            state = "<span style='color:#1b7f3a'>the reviewers agree on every item</span>"
        elif left:
            state = (
                f"<span style='color:#b3261e'><b>{left} of {divergent} divergent item"
                f"{'s' * (divergent != 1)} to moderate</b></span>"
            )
        else:
            state = f"<span style='color:#1b7f3a'>all {divergent} divergent items moderated</span>"
        self.heading.setText(
            f"<b style='font-size:15px'>{escape(detail.ref)} · {escape(detail.title)}</b><br>"
            f"{escape(detail.lead)} · {submitted} of {len(detail.reviewers)} reviews "
            f"submitted · {state}"
        )

    def current_row(self) -> MatrixRow | None:
        index = self.matrix.currentIndex()
        if self.detail is None or not index.isValid():
            return None
        return self.model.row_at(index.row())

    def choose_row(self, row: int) -> None:
        if self.detail is None or not 0 <= row < self.model.rowCount():
            return
        self.matrix.selectRow(row)
        self.matrix.setCurrentIndex(self.model.index(row, 0))
        self.matrix.scrollTo(self.model.index(row, 0))
        self._row_changed()

    def _row_changed(self) -> None:
        row = self.current_row()
        if row is None:
            return
        self._show_comments(row)
        self._load_editor(row)

    def _show_comments(self, row: MatrixRow) -> None:
        assert self.detail is not None
        parts = [f"<p><b>{escape(row.label)}</b> — what the reviewers said</p>"]
        for reviewer, cell in zip(self.detail.reviewers, row.cells, strict=True):
            who = f"{reviewer.label}" + (f" · {escape(reviewer.name)}" if reviewer.name else "")
            if cell is None:
                state = {"draft": "review still a draft", "none": "no review yet"}.get(
                    reviewer.state, "no value given"
                )
                parts.append(f"<p style='color:#80868b'><b>{who}</b> — {state}</p>")
                continue
            comment = escape(cell.comment).replace("\n", "<br>") or "<i>no comment</i>"
            parts.append(f"<p><b>{who} · {escape(cell.value)}</b><br>{comment}</p>")
        self.comments.setHtml("".join(parts))

    def _load_editor(self, row: MatrixRow) -> None:
        self._values = list(row.options)
        self.value.blockSignals(True)
        self.value.clear()
        self.value.addItems([CHOOSE, *self._values])
        decision = self.model.decision(row)
        chosen = self._values.index(decision.value) + 1 if decision else 0
        self.value.setCurrentIndex(chosen)
        self.value.blockSignals(False)
        self.rationale.setPlainText(decision.rationale if decision else "")
        what = (
            "divergent: a value and a rationale are required"
            if row.divergent
            else ("the reviewers agree; you may still moderate it, with a rationale")
        )
        self.item_title.setText(f"<b>{escape(row.label)}</b><br><small>{what}</small>")
        self.hint.setText("")

    # --- deciding ------------------------------------------------------------------------

    def focus_decision(self) -> None:
        if self.decision_box.isEnabled():
            self.value.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def chosen_value(self) -> str:
        index = self.value.currentIndex()
        return self._values[index - 1] if 1 <= index <= len(self._values) else ""

    def record_decision(self) -> None:
        row = self.current_row()
        if row is None or self.detail is None or not self.detail.may_moderate:
            return
        value = self.chosen_value()
        if not value:
            self.hint.setText("<span style='color:#b3261e'>Choose a value first.</span>")
            self.value.setFocus()
            return
        saved = (
            Decision(row.moderated_value, row.rationale)
            if row.moderated_value is not None
            else None
        )
        decision = Decision(value, self.rationale.toPlainText().strip())
        self.pending.decide(row.key, row.label, decision, saved)
        if decision.rationale:
            self.hint.setText("Recorded — save with Ctrl+S, undo with Ctrl+Z.")
        else:
            self.hint.setText(
                "<span style='color:#b3261e'>Recorded without a rationale: it cannot be "
                "saved until it has one.</span>"
            )

    def next_to_moderate(self) -> bool:
        """Go to the next item still needing a decision; False when there is none."""
        if self.detail is None:
            return False
        start = self.matrix.currentIndex().row()
        rows = self.detail.rows
        for step in range(1, len(rows) + 1):
            n = (start + step) % len(rows)
            if self.model.state(rows[n]) == "needs":
                self.choose_row(n)
                self.matrix.setFocus()
                return True
        return False

    # --- the outcome ---------------------------------------------------------------------

    def effective_outcome(self) -> tuple[str | None, str]:
        """The outcome the chair's decisions lead to, and where it comes from."""
        assert self.detail is not None
        row = self.detail.rows[-1]
        decision = self.model.decision(row)
        if decision is not None:
            return decision.value, "moderated"
        if self.detail.unanimous:
            return self.detail.unanimous, "the reviewers agree"
        return None, ""

    def _show_outcome(self) -> None:
        if self.detail is None:
            return
        outcome, source = self.effective_outcome()
        saved = self.detail.outcome
        if outcome is None:
            text = (
                "<span style='color:#b3261e'>The reviewers disagree on the overall "
                "recommendation: moderate it first.</span>"
            )
        else:
            text = f"<b>{escape(outcome)}</b> <span style='color:#5f6368'>({source})</span>"
        if saved is not None:
            text += (
                f"<br><small>Recorded: version {saved.version}, “{escape(saved.outcome)}”, "
                f"by {escape(saved.decided_by)} on {saved.decided_at:%d %b %Y}</small>"
            )
        else:
            text += "<br><small>No outcome recorded yet.</small>"
        self.outcome.setText(text)
        takes = outcome in self.detail.with_conditions if outcome else False
        self.conditions.setEnabled(takes)
        self.conditions.setPlaceholderText(
            "Required for this outcome" if takes else "This outcome carries no conditions"
        )
        for widget, which, stored in (
            (self.conditions, CONDITIONS, saved.conditions if saved else ""),
            (self.feedback, FEEDBACK, saved.feedback if saved else ""),
        ):
            text_now = self.pending.texts.get(which, stored)
            current = widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
            if current != text_now:
                widget.blockSignals(True)
                if isinstance(widget, QLineEdit):
                    widget.setText(text_now)
                else:
                    widget.setPlainText(text_now)
                widget.blockSignals(False)

    def saved_text(self, which: str) -> str:
        saved = self.detail.outcome if self.detail else None
        if saved is None:
            return ""
        return saved.conditions if which == CONDITIONS else saved.feedback

    def _conditions_edited(self) -> None:
        if self.detail is not None:
            self.pending.edit_text(CONDITIONS, self.conditions.text(), self.saved_text(CONDITIONS))

    def commit_texts(self) -> None:
        """Take what is typed in the conditions and feedback into the pending decisions."""
        if self.detail is None or not self.detail.may_moderate:
            return
        self._conditions_edited()
        self.pending.edit_text(FEEDBACK, self.feedback.toPlainText(), self.saved_text(FEEDBACK))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.feedback and event.type() == QEvent.Type.FocusOut:
            self.commit_texts()
        return super().eventFilter(watched, event)

    def _pending_changed(self) -> None:
        self.model.pending_changed(self.pending.items)
        if self.detail is None:
            return
        self._show_heading()
        row = self.current_row()
        if row is not None:
            decision = self.model.decision(row)
            chosen = self._values.index(decision.value) + 1 if decision else 0
            self.value.blockSignals(True)
            self.value.setCurrentIndex(chosen)
            self.value.blockSignals(False)
            if self.rationale.toPlainText().strip() != (decision.rationale if decision else ""):
                self.rationale.setPlainText(decision.rationale if decision else "")
        self._show_outcome()
