"""The review editor: one assignment's review, scored card by card with the keyboard.

Every edit restarts a short timer; when it fires (AUTOSAVE_MS after the last keystroke),
or when the reviewer leaves the review, the draft is saved — so closing or killing the
app loses at most the last fraction of a second (someone who never pauses is saved every
MAX_UNSAVED_MS). Submit (Ctrl+Enter) saves, checks and lists what is missing, jumping to
the first problem; a submitted review is read-only, and changes only through a correction
with a reason.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from itertools import pairwise

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput
from panel_desk.services import review_views, reviewing
from panel_desk.services.review_rules import Problem, ReviewContent
from panel_desk.services.review_views import ReviewForm
from panel_desk.services.reviewing import Progress
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.review_editor.actions import EditorActions
from panel_desk.ui.review_editor.cards import CriterionCard, RecommendationCard
from panel_desk.ui.review_editor.undo import ScoreUndo
from panel_desk.ui.workspace import Workspace

AUTOSAVE_MS = 400
MAX_UNSAVED_MS = 2000
"""However fast someone types, what they typed is saved at least this often."""
STYLE = """
QWidget#reviewBody { background: palette(window); }
QLabel#reviewTitle { font-size: 13pt; font-weight: bold; }
QLabel#banner { padding: 6px 10px; border-radius: 6px; }
QLabel#banner[tone="draft"] { background: #fff7e0; color: #5c4400; }
QLabel#banner[tone="submitted"] { background: #e6f4ea; color: #0d652d; }
QLabel#banner[tone="conflict"] { background: #fce8e6; color: #8c1d18; }
QLabel#problems { background: #fce8e6; color: #8c1d18; padding: 8px 10px; border-radius: 6px; }
QLabel#saved { color: palette(placeholder-text); }
QLabel#groupHeader { font-weight: bold; color: palette(window-text); font-size: 10pt;
    padding-top: 6px; }
"""


def _local(moment: datetime) -> datetime:
    return moment.astimezone()


def saved_text(moment: datetime, now: datetime | None = None) -> str:
    """'Draft saved 10:42' today, 'Draft saved 24 Nov, 10:42' before."""
    local, today = _local(moment), (now or datetime.now().astimezone()).date()
    when = f"{local:%H:%M}" if local.date() == today else f"{local.day} {local:%b}, {local:%H:%M}"
    return f"Draft saved {when}"


class ReviewEditor(EditorActions, QWidget):
    """Edits one assignment's review; `changed(assignment_id)` when its state changed."""

    changed = Signal(int)
    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewEditor")
        self.setStyleSheet(STYLE)
        self.workspace = workspace
        self.form: ReviewForm | None = None
        self.cards: list[CriterionCard] = []
        self.recommendation: RecommendationCard | None = None
        self._loading = False
        self._dirty = False
        self._problems_shown = False
        self._problems: list[Problem] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.save_now)
        self._unsaved_since = QElapsedTimer()
        self.score_undo = ScoreUndo(self)  # Edit ▸ Undo for the scales (see undo.py)
        self.score_undo.active = lambda: (
            not self._loading and self.form is not None and self.form.editable
        )

        self.title = QLabel()
        self.title.setObjectName("reviewTitle")
        self.title.setWordWrap(True)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.linkActivated.connect(self._banner_link)
        self.saved = QLabel()
        self.saved.setObjectName("saved")
        self.saved.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.hide()
        self.problems.linkActivated.connect(self._problem_link)
        self.body = QWidget()
        self.body.setObjectName("reviewBody")
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(12, 8, 12, 12)
        self.body_layout.setSpacing(10)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.body)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.certify = QCheckBox(
            "I certify that I have no conflict of interest with this submission"
        )
        self.certify.setObjectName("certify")
        self.certify.toggled.connect(self._recheck)
        self.conflict_button = QPushButton("Declare a conflict…")
        self.conflict_button.setObjectName("declareConflict")
        self.conflict_button.clicked.connect(self.declare_conflict)
        self.discard_button = QPushButton("Discard correction")
        self.discard_button.clicked.connect(self.discard_correction)
        self.correct_button = QPushButton("Start a correction…")
        self.correct_button.setObjectName("startCorrection")
        self.correct_button.clicked.connect(self.start_correction)
        self.submit_button = QPushButton("Submit review  (Ctrl+Enter)")
        self.submit_button.setObjectName("submitReview")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.saved)
        footer = QHBoxLayout()
        footer.addWidget(self.conflict_button)
        footer.addWidget(self.discard_button)
        footer.addStretch(1)
        footer.addWidget(self.correct_button)
        footer.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.problems)
        layout.addWidget(self.scroll, 1)
        self.filler = QWidget()  # takes the room of the form when there is none to show
        self.filler.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.filler, 1)
        layout.addLayout(footer)
        for label in (self.banner, self.problems):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setWhatsThis("Submit the review")  # listed in Help ▸ Keyboard shortcuts
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.submit)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.save_now)
        self.show_form(None)

    # --- showing a review ------------------------------------------------------------------

    @property
    def email(self) -> str:
        return self.workspace.person.email

    def open_assignment(self, assignment_id: int | None) -> None:
        """Save what is open, then show `assignment_id` (None: nothing)."""
        self.save_now()
        if assignment_id is None:
            self.show_form(None)
            return
        try:
            form = self.workspace.read(review_views.review_form, assignment_id, self.email)
        except BadInput as error:
            self.show_form(None, str(error))
            return
        self.show_form(form)

    def reload(self) -> None:
        self.open_assignment(self.form.assignment_id if self.form else None)

    def show_form(self, form: ReviewForm | None, empty: str = "") -> None:
        self._loading = True
        self.score_undo.clear()
        self.form = form
        self._problems_shown = False
        self.problems.hide()
        self.certify.setChecked(False)
        self._clear_body()
        if form is None:
            self.scroll.hide()
            self.filler.show()
            self.title.setText("")
            self.banner.setText(escape(empty or "Choose an assignment to review it."))
            self.banner.setProperty("tone", "")
            self.saved.setText("")
            for button in self._buttons():
                button.hide()
            self._loading = False
            return
        self.title.setText(f"{form.submission_ref} — {form.submission_title}")
        self._build_body(form)
        self._show_state(form)
        self._loading = False

    def _buttons(self) -> list[QPushButton]:
        return [self.conflict_button, self.discard_button, self.correct_button, self.submit_button]

    def _clear_body(self) -> None:
        self.body.setUpdatesEnabled(False)
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self.certify:
                widget.hide()  # at once: deleteLater only acts on the next event loop pass
                widget.deleteLater()
        self.cards, self.recommendation = [], None
        self.body.setUpdatesEnabled(True)

    def _build_body(self, form: ReviewForm) -> None:
        group = None
        for number, criterion in enumerate(form.criteria, 1):
            if criterion.group and criterion.group != group:
                group = criterion.group
                header = QLabel(group)
                header.setObjectName("groupHeader")
                self.body_layout.addWidget(header)
            card = CriterionCard(criterion, number)
            card.set_entry(form.content.score(criterion.key))
            card.changed.connect(self._edited)
            self.score_undo.track(card.chooser, criterion.label)
            self.body_layout.addWidget(card)
            self.cards.append(card)
        header = QLabel("Overall")
        header.setObjectName("groupHeader")
        self.body_layout.addWidget(header)
        self.recommendation = RecommendationCard(form.recommendation)
        content = form.content
        self.recommendation.set_values(content.recommendation, content.conditions, content.comment)
        self.recommendation.changed.connect(self._edited)
        self.score_undo.track(self.recommendation.chooser, form.recommendation.label)
        self.body_layout.addWidget(self.recommendation)
        self.body_layout.addWidget(self.certify)
        self.body_layout.addStretch(1)
        for index in range(self.body_layout.count()):
            widget = self.body_layout.itemAt(index).widget()
            if widget is not None and widget is not self.certify:
                widget.show()  # now, not on the next pass of the event loop (keys may come first)
        self.scroll.verticalScrollBar().setValue(0)
        # Tab runs down the form — scale, comment, scale, comment, … — then to Submit.
        chain: list[QWidget] = [w for c in self.cards for w in (c.chooser, c.comment)]
        rec = self.recommendation
        chain += [rec.chooser, rec.conditions, rec.comment, self.certify, self.submit_button]
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _show_state(self, form: ReviewForm) -> None:
        current = form.current
        read_only = not form.editable
        for card in self.cards:
            card.set_read_only(read_only)
        if self.recommendation is not None:
            self.recommendation.set_read_only(read_only)
        self.scroll.setVisible(form.progress != Progress.CONFLICT)
        self.filler.setVisible(form.progress == Progress.CONFLICT)
        self.certify.setVisible(form.editable)
        self.submit_button.setVisible(form.editable)
        self.conflict_button.setVisible(form.progress != Progress.CONFLICT)
        self.correct_button.setVisible(form.progress == Progress.SUBMITTED)
        self.discard_button.setVisible(form.progress == Progress.CORRECTION)
        self.saved.setText(
            saved_text(current.updated_at) if current is not None and form.editable else ""
        )
        tone, text = "draft", ""
        if form.progress == Progress.NOT_STARTED:
            text = "Not started. Score each criterion; your draft saves itself as you go."
        elif form.progress == Progress.DRAFT:
            text = "Draft. It saves itself as you type; submit it when every criterion is scored."
        elif form.progress == Progress.CORRECTION and current is not None:
            text = (
                f"Correction in progress — version {current.version}, because: "
                f"“{escape(current.correction_reason)}”. Submit it to replace version "
                f"{current.version - 1}. <a href='changes'>Show the changes</a>"
            )
        elif form.progress == Progress.SUBMITTED and current is not None:
            tone = "submitted"
            when = _local(current.submitted_at or current.updated_at)
            text = (
                f"Submitted {when.day} {when:%b %Y} at {when:%H:%M}"
                + (f" · version {current.version}" if current.version > 1 else "")
                + ". It is locked: to change it, start a correction."
            )
            if current.version > 1:
                text += " <a href='changes'>What changed in the last correction</a>"
        elif form.progress == Progress.CONFLICT:
            tone = "conflict"
            text = (
                "You declared a conflict of interest with this submission, so you do not "
                "score it. The secretariat has your reason."
            )
        self.banner.setText(text)
        self.banner.setProperty("tone", tone)
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)

    # --- editing and saving ------------------------------------------------------------------

    def content(self) -> ReviewContent:
        if self.recommendation is None:
            return ReviewContent()
        return ReviewContent(
            tuple(card.entry() for card in self.cards),
            self.recommendation.chooser.value(),
            self.recommendation.conditions.toPlainText(),
            self.recommendation.comment.toPlainText(),
        )

    def _edited(self) -> None:
        if self._loading or self.form is None or not self.form.editable:
            return
        if not self._dirty:
            self._dirty = True
            self._unsaved_since.start()
        if self._unsaved_since.elapsed() >= MAX_UNSAVED_MS:
            self.save_now()
            return
        self._timer.start()
        if self._problems_shown:
            self._recheck()

    def save_now(self) -> None:
        """Save the draft if anything changed since the last save."""
        self._timer.stop()
        if not self._dirty or self.form is None or not self.form.editable:
            return
        self._dirty = False
        form = self.form
        try:
            saved = self.workspace.run(
                reviewing.save_draft, form.assignment_id, self.email, self.content()
            )
        except BadInput as error:
            self.saved.setText("Not saved")
            show_bad_input(self, "Save draft", error)
            return
        if saved.version:
            self.saved.setText(saved_text(saved.saved_at))
        if form.progress == Progress.NOT_STARTED and saved.version:
            self.form = self.workspace.read(
                review_views.review_form, form.assignment_id, self.email
            )
            self._show_state(self.form)
            self.changed.emit(form.assignment_id)

    def hideEvent(self, event: QHideEvent) -> None:
        self.save_now()  # leaving the page, or the window closing
        super().hideEvent(event)
