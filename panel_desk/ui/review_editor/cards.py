"""The parts of the review form: a card per criterion, and the overall recommendation.

Layout only: each card shows its values and says when one changed; the editor decides
what to do with that (autosave, checks).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFocusEvent, QTextCursor
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from panel_desk.services.review_rules import CriterionForm, RecommendationForm, ScoreEntry
from panel_desk.ui.review_editor.scale_chooser import ScaleChooser

# Surfaces and text from the palette (palette(...)), so a dark system palette is kept;
# only the red of a problem and the blue of focus are fixed hues, readable on both.
CARD_STYLE = """
QFrame#card { background: palette(base); border: 1px solid palette(mid); border-radius: 8px; }
QFrame#card[problem="true"] { border: 2px solid #b3261e; }
QLabel#criterionLabel { font-weight: bold; font-size: 10.5pt; color: palette(text); }
QLabel#guidance { color: palette(text); }
QLabel#hint { color: #b3261e; }
QLabel#caption { color: palette(placeholder-text); font-size: 9pt; }
QPlainTextEdit { border: 1px solid palette(mid); border-radius: 4px;
    background: palette(alternate-base); color: palette(text); }
QPlainTextEdit:focus { border: 2px solid #1a73e8; background: palette(base); }
QPlainTextEdit[problem="true"] { border: 2px solid #b3261e; }
QPlainTextEdit:read-only { background: palette(window); color: palette(text); }
"""


def restyle(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


class CommentBox(QPlainTextEdit):
    """A comment: Tab moves on (it never types a tab), and the box grows with its text."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(placeholder)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def _fit(self, *_: object) -> None:
        lines = max(2, min(12, int(self.document().documentLayout().documentSize().height())))
        height = lines * self.fontMetrics().lineSpacing() + 14
        self.setFixedHeight(height)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if lines >= 12
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason):
            self.moveCursor(QTextCursor.MoveOperation.End)  # carry on writing, not overwrite

    def set_text(self, text: str) -> None:
        if self.toPlainText() != text:
            self.setPlainText(text)

    def set_problem(self, problem: bool) -> None:
        self.setProperty("problem", problem)
        restyle(self)

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("caption")
    return label


class CriterionCard(QFrame):
    """One criterion: its label and guidance, the scale, a comment."""

    changed = Signal()

    def __init__(self, criterion: CriterionForm, number: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.criterion = criterion
        self.setObjectName("card")
        self.setStyleSheet(CARD_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(6)
        # Rich text, so a long guidance paragraph wraps in the tooltip.
        tip = f"<p>{escape(criterion.guidance)}</p>" if criterion.guidance else ""
        self.label = QLabel(f"{number}. {criterion.label}")
        self.label.setObjectName("criterionLabel")
        self.label.setWordWrap(True)
        self.label.setToolTip(tip)
        layout.addWidget(self.label)
        if criterion.guidance:
            self.guidance = QLabel(criterion.guidance)
            self.guidance.setObjectName("guidance")
            self.guidance.setWordWrap(True)
            self.guidance.setToolTip(tip)
            self.guidance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(self.guidance)
        self.chooser = ScaleChooser(
            criterion.values, criterion.labels, criterion.numeric, criterion.passing
        )
        self.chooser.setAccessibleDescription(criterion.label)
        self.chooser.setToolTip(tip)
        layout.addWidget(self.chooser)
        failing = [v for v in criterion.values if criterion.needs_comment(v)]
        placeholder = "Your comment: what you saw in the submission"
        if failing:
            placeholder += f" (needed when {' or '.join(failing)})"
        self.comment = CommentBox(placeholder)
        self.comment.setAccessibleName(f"Comment on {criterion.label}")
        layout.addWidget(self.comment)
        self.hint = QLabel(f"Say in your comment why it is {' / '.join(failing)}.")
        self.hint.setObjectName("hint")
        self.hint.hide()
        layout.addWidget(self.hint)
        self.chooser.changed.connect(self._changed)
        self.comment.textChanged.connect(self._changed)

    def _changed(self, *_: object) -> None:
        self._update_hint()
        self.changed.emit()

    def _update_hint(self) -> None:
        needs = self.criterion.needs_comment(self.chooser.value())
        self.hint.setVisible(needs and not self.comment.toPlainText().strip())

    def entry(self) -> ScoreEntry:
        return ScoreEntry(self.criterion.key, self.chooser.value(), self.comment.toPlainText())

    def set_entry(self, entry: ScoreEntry) -> None:
        self.chooser.set_value(entry.value)
        self.comment.set_text(entry.comment)
        self._update_hint()

    def set_read_only(self, read_only: bool) -> None:
        self.chooser.set_read_only(read_only)
        self.comment.setReadOnly(read_only)
        if read_only:
            self.comment.setPlaceholderText("No comment")

    def mark(self, parts: set[str]) -> None:
        self.setProperty("problem", bool(parts))
        restyle(self)
        self.chooser.set_problem("value" in parts)
        self.comment.set_problem("comment" in parts)


class RecommendationCard(QFrame):
    """The overall recommendation, its conditions and the overall comment."""

    changed = Signal()

    def __init__(self, recommendation: RecommendationForm, parent: QWidget | None = None):
        super().__init__(parent)
        self.recommendation = recommendation
        self.setObjectName("card")
        self.setStyleSheet(CARD_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(6)
        self.label = QLabel(recommendation.label)
        self.label.setObjectName("criterionLabel")
        layout.addWidget(self.label)
        self.chooser = ScaleChooser(
            recommendation.options, passing=recommendation.passing, parent=self
        )
        self.chooser.setAccessibleDescription(recommendation.label)
        layout.addWidget(self.chooser)
        self.conditions_label = _caption(
            "Conditions"
            + (
                f" — needed for “{'”, “'.join(recommendation.with_conditions)}”"
                if recommendation.with_conditions
                else ""
            )
        )
        self.conditions = CommentBox("The conditions to be met, one per line")
        self.conditions.setAccessibleName("Conditions")
        layout.addWidget(self.conditions_label)
        layout.addWidget(self.conditions)
        # Only once they have a parent: shown without one, a widget is a window of its own.
        has_conditions = bool(recommendation.with_conditions)
        self.conditions_label.setVisible(has_conditions)
        self.conditions.setVisible(has_conditions)
        layout.addWidget(_caption("Overall comment — what the panel and the submitter should know"))
        self.comment = CommentBox("Your overall view of the submission")
        self.comment.setAccessibleName("Overall comment")
        layout.addWidget(self.comment)
        self.chooser.changed.connect(self._changed)
        self.conditions.textChanged.connect(self._changed)
        self.comment.textChanged.connect(self._changed)

    def _changed(self, *_: object) -> None:
        self.changed.emit()

    def set_values(self, recommendation: str, conditions: str, comment: str) -> None:
        self.chooser.set_value(recommendation)
        self.conditions.set_text(conditions)
        self.comment.set_text(comment)

    def set_read_only(self, read_only: bool) -> None:
        self.chooser.set_read_only(read_only)
        self.conditions.setReadOnly(read_only)
        self.comment.setReadOnly(read_only)

    def mark(self, parts: set[str]) -> None:
        self.setProperty("problem", bool(parts))
        restyle(self)
        self.chooser.set_problem("value" in parts)
        self.conditions.set_problem("conditions" in parts)
