"""The Evaluation page: the value and impact of credentials in charts, and the PDF report.

The charts are the very drawings the report prints (services/evaluation_charts.py), shown
as SVG; each keeps its caption with the figures in words.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput
from panel_desk.services import evaluation_report, evaluation_views
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.workspace import Workspace

SCALE = 1.6
"""Charts are drawn in PDF points for an A4 column; on screen they read better larger."""


def _picture(svg: bytes) -> QPixmap:
    """The chart on white paper, as it prints (an SVG widget would paint it on black)."""
    renderer = QSvgRenderer(QByteArray(svg))
    size = renderer.defaultSize() * SCALE
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return QPixmap.fromImage(image)


class EvaluationPage(QWidget):
    title: ClassVar[str] = "Evaluation"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT, Role.EAG})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationPage")
        self.workspace = workspace
        self.headline = QLabel()
        self.headline.setObjectName("evaluationHeadline")
        self.headline.setWordWrap(True)
        self.report_button = QPushButton("Save &report PDF…")
        self.report_button.setObjectName("evaluationReport")
        self.charts = QWidget()
        self.charts.setObjectName("evaluationCharts")
        self.charts_layout = QVBoxLayout(self.charts)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.report_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.report_button.clicked.connect(lambda: self.save_report())
        self.chart_titles: list[str] = []

    def show_round(self, summary: RoundSummary | None) -> None:
        self.refresh()

    def refresh(self) -> None:
        view = self.workspace.read(evaluation_views.evaluation_view)
        self.headline.setText(f"<b>{view.headline}</b>")
        while self.charts_layout.count():
            item = self.charts_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.chart_titles = []
        for title, caption, svg in view.charts:
            heading = QLabel(f"<h3 style='color: #1f4e79'>{title}</h3>")
            self.charts_layout.addWidget(heading)
            self.chart_titles.append(title)
            if svg is not None:
                chart = QLabel()
                chart.setObjectName(f"chart{len(self.chart_titles)}")
                picture = _picture(svg)
                chart.setPixmap(picture)
                chart.setFixedSize(picture.size())
                chart.setAccessibleName(title)
                chart.setToolTip(caption)
                self.charts_layout.addWidget(chart, 0, Qt.AlignmentFlag.AlignLeft)
            words = QLabel(caption)
            words.setWordWrap(True)
            words.setStyleSheet("color: #5f6368")
            self.charts_layout.addWidget(words)
        self.charts_layout.addStretch(1)
        self.charts_layout.activate()  # lay out now: a screenshot may follow at once

    def save_report(self, path: Path | None = None) -> Path | None:
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Save the evaluation report", "evaluation.pdf", "PDF (*.pdf)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        try:
            out = self.workspace.run(
                evaluation_report.export_report, path, self.workspace.person.email
            )
        except BadInput as error:
            show_bad_input(self, "Save the evaluation report", error)
            return None
        self.status.emit(f"Evaluation report saved to {out}.")
        return out
