"""What the editor's buttons do: submit (with the list of what is missing), start or discard
a correction, declare a conflict, show what a correction changed.

A mixin of ReviewEditor, kept apart so the editor's layout and its commands each stay
readable; every change goes through the services and then reloads the review.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from panel_desk.errors import BadInput
from panel_desk.services import review_views, reviewing
from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.review_rules import CERTIFICATION_KEY, Problem, submission_problems
from panel_desk.services.reviewing import Progress
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.review_editor.dialogs import ask_reason, confirm_submit, show_differences

if TYPE_CHECKING:
    from panel_desk.ui.review_editor.editor import ReviewEditor

SHOWN_PROBLEMS = 8


class EditorActions:
    """Submit, correct, declare; mixed into ReviewEditor."""

    def submit(self: ReviewEditor) -> None:
        form = self.form
        if form is None or not form.editable:
            return
        self.save_now()
        problems = self.workspace.read(
            reviewing.check_review, form.assignment_id, self.email, self.certify.isChecked()
        )
        if problems:
            self._problems_shown = True
            self._show_problems(problems)
            self._jump_to(problems[0])
            self.status.emit(f"{form.submission_ref}: not submitted — {len(problems)} to do")
            return
        version = form.current.version if form.current else 1
        if not confirm_submit(self, form.submission_ref, version):
            return
        try:
            version = self.workspace.run(
                reviewing.submit_review, form.assignment_id, self.email, True
            )
        except BadInput as error:
            show_bad_input(self, "Submit review", error)
            return
        self.reload()
        self.changed.emit(form.assignment_id)
        self.status.emit(f"{form.submission_ref}: review submitted (version {version})")

    def _recheck(self: ReviewEditor, *_: object) -> None:
        """Keep the list of problems true while the reviewer fixes them."""
        if not self._problems_shown or self.form is None:
            return
        problems = submission_problems(
            self.form.criteria,
            self.form.recommendation,
            self.content(),
            self.certify.isChecked(),
        )
        self._show_problems(problems)

    def _show_problems(self: ReviewEditor, problems: list[Problem]) -> None:
        by_key: dict[str, set[str]] = {}
        for problem in problems:
            by_key.setdefault(problem.key, set()).add(problem.part)
        for card in self.cards:
            card.mark(by_key.get(card.criterion.key, set()))
        if self.recommendation is not None:
            self.recommendation.mark(by_key.get(RECOMMENDATION_KEY, set()))
        self.certify.setStyleSheet(
            "QCheckBox { color: #b3261e; font-weight: bold; }"
            if CERTIFICATION_KEY in by_key
            else ""
        )
        self._problems = problems
        if not problems:
            self.problems.setText(
                "Everything is in place. Press Ctrl+Enter (or Submit review) to submit."
            )
            self.problems.setVisible(True)
            return
        items = "".join(
            f"<li><a href='problem:{n}' style='color:#8c1d18'>{escape(p.message)}</a></li>"
            for n, p in enumerate(problems[:SHOWN_PROBLEMS])
        )
        more = len(problems) - SHOWN_PROBLEMS
        self.problems.setText(
            f"<b>Not submitted: {len(problems)} thing{'s' * (len(problems) != 1)} to do "
            f"first</b><ul style='margin: 2px 0 0 -20px'>{items}</ul>"
            + (f"… and {more} more" if more > 0 else "")
        )
        self.problems.setVisible(True)

    def _problem_link(self: ReviewEditor, link: str) -> None:
        if link.startswith("problem:"):
            self._jump_to(self._problems[int(link.split(":", 1)[1])])

    def problem_widget(self: ReviewEditor, problem: Problem) -> QWidget:
        if problem.key == CERTIFICATION_KEY:
            return self.certify
        if problem.key == RECOMMENDATION_KEY:
            assert self.recommendation is not None
            return {
                "conditions": self.recommendation.conditions,
                "comment": self.recommendation.comment,
            }.get(problem.part, self.recommendation.chooser)
        card = next(c for c in self.cards if c.criterion.key == problem.key)
        return card.comment if problem.part == "comment" else card.chooser

    def _jump_to(self: ReviewEditor, problem: Problem) -> None:
        widget = self.problem_widget(problem)
        self.scroll.ensureWidgetVisible(widget, 40, 80)
        widget.setFocus()

    def start_correction(self: ReviewEditor) -> None:
        form = self.form
        if form is None or form.progress != Progress.SUBMITTED:
            return
        reason = ask_reason(
            self,
            "Start a correction",
            f"A submitted review is never changed. A correction of {form.submission_ref} is a "
            "new version of your review, starting from what you submitted; the panel sees "
            "both versions and your reason. Why does it need correcting?",
            "Start correction",
            "correctionDialog",
        )
        if reason is None:
            return
        try:
            version = self.workspace.run(
                reviewing.start_correction, form.assignment_id, self.email, reason
            )
        except BadInput as error:
            show_bad_input(self, "Start a correction", error)
            return
        self.reload()
        self.changed.emit(form.assignment_id)
        self.status.emit(f"{form.submission_ref}: correction started (version {version})")
        if self.cards:
            self.cards[0].chooser.setFocus()

    def discard_correction(self: ReviewEditor) -> None:
        form = self.form
        if form is None or form.progress != Progress.CORRECTION:
            return
        self._timer.stop()
        self._dirty = False
        try:
            self.workspace.run(reviewing.discard_correction, form.assignment_id, self.email)
        except BadInput as error:
            show_bad_input(self, "Discard correction", error)
            return
        self.reload()
        self.changed.emit(form.assignment_id)
        self.status.emit(f"{form.submission_ref}: correction discarded")

    def declare_conflict(self: ReviewEditor) -> None:
        form = self.form
        if form is None or form.progress == Progress.CONFLICT:
            return
        reason = ask_reason(
            self,
            "Declare a conflict of interest",
            f"Declare a conflict with {form.submission_ref} if you have a link to it or to the "
            "people and organisations behind it that could be seen to sway you. You will not "
            "score it, and the secretariat sees your reason. What is the conflict?",
            "Declare conflict",
            "conflictDialog",
        )
        if reason is None:
            return
        self.save_now()
        try:
            self.workspace.run(reviewing.declare_conflict, form.assignment_id, self.email, reason)
        except BadInput as error:
            show_bad_input(self, "Declare a conflict", error)
            return
        self.reload()
        self.changed.emit(form.assignment_id)
        self.status.emit(f"{form.submission_ref}: conflict of interest declared")

    def _banner_link(self: ReviewEditor, link: str) -> None:
        form = self.form
        if link != "changes" or form is None or form.current is None:
            return
        self.save_now()
        version = form.current.version
        comparison = self.workspace.read(
            review_views.my_comparison, form.assignment_id, self.email, version - 1, version
        )
        show_differences(self, comparison)
