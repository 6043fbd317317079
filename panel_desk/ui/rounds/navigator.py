"""The rounds navigator: every round, its stage and how far screening has got, at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from panel_desk.services.rounds import RoundSummary

ROUND_REF_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class RoundsModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rounds: list[RoundSummary] = []

    def set_rounds(self, rounds: Sequence[RoundSummary]) -> None:
        self.beginResetModel()
        self._rounds = list(rounds)
        self.endResetModel()

    def round_at(self, row: int) -> RoundSummary:
        return self._rounds[row]

    def find(self, ref: str) -> RoundSummary | None:
        return next((r for r in self._rounds if r.ref == ref), None)

    def row_of(self, ref: str) -> int:
        return next((i for i, r in enumerate(self._rounds) if r.ref == ref), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rounds)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item = self._rounds[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{item.ref} — {item.title}"
        if role == Qt.ItemDataRole.ToolTipRole:
            deadline = f"\nReviews due {item.review_deadline}" if item.review_deadline else ""
            places = f"\n{item.places} places available" if item.places else ""
            return (
                f"{item.title}\n{item.stage_label} · {item.state_label}\n"
                f"Criteria: {item.criteria}\nOpened {item.opens_on}{deadline}{places}"
            )
        if role == ROUND_REF_ROLE:
            return item.ref
        return None


class RoundDelegate(QStyledItemDelegate):
    """Two lines per round: reference and title, then stage, state and counts."""

    PADDING = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        height = option.fontMetrics.height()
        return QSize(240, 3 * height + 2 * self.PADDING + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        model = index.model()
        assert isinstance(model, RoundsModel)
        item = model.round_at(index.row())
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        if selected:
            painter.fillRect(option.rect, palette.color(QPalette.ColorRole.Highlight))
        text_colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        rect = option.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        line = option.fontMetrics.height()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_colour)
        painter.drawText(
            QRect(rect.x(), rect.y(), rect.width(), line), Qt.AlignmentFlag.AlignLeft, item.ref
        )
        painter.setFont(option.font)
        title = option.fontMetrics.elidedText(item.title, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            QRect(rect.x(), rect.y() + line + 2, rect.width(), line),
            Qt.AlignmentFlag.AlignLeft,
            title,
        )
        painter.setPen(muted)
        gaps = f" · {item.gaps} with gaps" if item.gaps else ""
        facts = f"{item.stage_label} · {item.submissions} submissions{gaps}"
        facts = option.fontMetrics.elidedText(facts, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            QRect(rect.x(), rect.y() + 2 * line + 4, rect.width(), line),
            Qt.AlignmentFlag.AlignLeft,
            facts,
        )
        painter.restore()


class RoundsNavigator(QListView):
    """Lists rounds; emits `round_chosen(ref)` when the current round changes."""

    round_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("roundsNavigator")
        self.rounds = RoundsModel(self)
        self.setModel(self.rounds)
        self.setItemDelegate(RoundDelegate(self))
        self.setUniformItemSizes(True)
        self.setAccessibleName("Rounds")
        self.selectionModel().currentChanged.connect(self._current_changed)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.round_chosen.emit(self.rounds.round_at(current.row()).ref)

    def show_rounds(self, rounds: Sequence[RoundSummary], select_ref: str = "") -> None:
        self.rounds.set_rounds(rounds)
        row = self.rounds.row_of(select_ref)
        if row < 0 and rounds:
            row = 0
        if row >= 0:
            self.setCurrentIndex(self.rounds.index(row))

    def current_ref(self) -> str:
        index = self.currentIndex()
        return self.rounds.round_at(index.row()).ref if index.isValid() else ""

    def step(self, delta: int) -> None:
        count = self.rounds.rowCount()
        if count:
            row = (max(self.currentIndex().row(), 0) + delta) % count
            self.setCurrentIndex(self.rounds.index(row))
