"""The spread of the reviewers' values on each criterion, drawn with QPainter in the matrix.

For each row a small dot plot on the criterion's own scale: a tick per value, a dot per
reviewer (stacked where they agree), a bar from the lowest to the highest value — red
when the spread reaches the divergence threshold or a categorical scale splits, grey
otherwise — and a ◆ at the moderated value. The same picture for a 1–5 priority score, a
met / not met gateway and the overall recommendation, so the eye reads them alike.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QModelIndex, QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from panel_desk.ui import colours
from panel_desk.ui.moderation.matrix_model import MatrixModel, SpreadData

PADDING = 10
DOT_RADIUS = 3.5


def _positions(data: SpreadData, left: float, right: float) -> dict[str, float]:
    """x of each scale value: evenly spaced, low to high (categorical: passing first)."""
    options = list(data.options)
    if not data.numeric:
        # Passing values on the right, like high scores: "not met" … "met".
        options = [o for o in options if o not in data.passing] + [
            o for o in options if o in data.passing
        ]
    if len(options) == 1:
        return {options[0]: (left + right) / 2}
    step = (right - left) / (len(options) - 1)
    return {value: left + n * step for n, value in enumerate(options)}


def paint_spread(painter: QPainter, rect: QRectF, data: SpreadData) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    left, right = rect.left() + PADDING, rect.right() - PADDING
    middle = rect.center().y() + 2
    x = _positions(data, left, right)
    painter.setPen(QPen(colours.quiet(), 1))
    painter.drawLine(QPointF(left, middle), QPointF(right, middle))
    for position in x.values():
        painter.drawLine(QPointF(position, middle - 3), QPointF(position, middle + 3))
    given = [v for v in data.values if v in x]
    if given:
        xs = [x[v] for v in given]
        low, high = min(xs), max(xs)
        if high > low:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(
                colours.hue("line")
                if data.divergent
                else colours.mix(colours.quiet(), colours.palette().base().color(), 0.5)
            )
            painter.drawRoundedRect(QRectF(low, middle - 3, high - low, 6), 3, 3)
        painter.setBrush(colours.ink())
        painter.setPen(QPen(colours.palette().base().color(), 1))
        for value, count in Counter(given).items():
            for n in range(count):  # agreeing reviewers stack upwards
                centre = QPointF(x[value], middle - n * (DOT_RADIUS * 2 - 1))
                painter.drawEllipse(centre, DOT_RADIUS, DOT_RADIUS)
    if data.moderated in x:
        centre = x[data.moderated]
        diamond = QPainterPath()
        top = middle + 5
        diamond.moveTo(centre, top)
        diamond.lineTo(centre + 5, top + 5)
        diamond.lineTo(centre, top + 10)
        diamond.lineTo(centre - 5, top + 5)
        diamond.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.hue("accent"))
        painter.drawPath(diamond)
    painter.restore()


class SpreadChartDelegate(QStyledItemDelegate):
    """Draws the spread column: its own background (the row's tint, or the selection) and
    the chart.

    It asks the model for the row in plain Python rather than through QVariant roles and
    `initStyleOption`, which would cross into C++ and back for every role of every cell on
    every repaint.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        model = index.model()
        if not isinstance(model, MatrixModel):
            return
        row = model.row_at(index.row())
        rect = QRectF(option.rect)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        else:
            tint = model.tint(row)
            if tint is not None:
                painter.fillRect(option.rect, tint)
        paint_spread(painter, rect, model.spread_data(row))
