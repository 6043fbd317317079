"""The Ranking page: a competitive round in official order against its cut-line, the
same ranking by median, Borda count and Schulze beside it, and who changes side.

The chair moves the line (Ctrl+L) only with a rationale; anyone who may open the page
exports the CSV (Ctrl+E). A round of 20,000 is ranked off the GUI thread.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import ranking, ranking_export
from panel_desk.services.ranking_methods import METHOD_LABELS
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui import colours
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.moderation.page import MAY_OPEN
from panel_desk.ui.moderation.ranking_model import (
    CHANGES_SIDE,
    NOT_RANKED,
    RANKED,
    RankingModel,
)
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

MODES = [
    (RANKED, "Every ranked submission"),
    (CHANGES_SIDE, "Only those that change side under another method"),
    (NOT_RANKED, "Not ranked, and why"),
]


class CutlineTable(QTableView):
    """Draws the cut-line under the last submission above it, across the whole row."""

    places: int | None = None
    label = ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.places or self.places >= self.model().rowCount():
            return
        y = self.rowViewportPosition(self.places) - 1
        if y < -4 or y > self.viewport().height() + 4:
            return
        painter = QPainter(self.viewport())
        line = colours.hue("line")
        painter.setPen(QPen(line, 3))
        painter.drawLine(QPoint(0, y), QPoint(self.viewport().width(), y))
        painter.setPen(line)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(self.label) + 12
        # At the end of the title column, where titles are elided anyway.
        x = max(4, self.columnViewportPosition(4) - width - 6)
        painter.fillRect(
            x, y - metrics.height() // 2 - 1, width, metrics.height() + 2, self.palette().base()
        )
        painter.drawText(x + 6, y + metrics.ascent() // 2 - 1, self.label)
        painter.end()


class CutlineDialog(QDialog):
    """How many places above the line, and why (required)."""

    def __init__(self, result: ranking.Ranking, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cutlineDialog")
        self.setWindowTitle(f"Move the cut-line of {result.round_ref}")
        line = result.cutline
        self.places = QSpinBox()
        self.places.setObjectName("cutlinePlaces")
        self.places.setRange(0, len(result.ranked))
        self.places.setValue(line.places or 0)
        self.rationale = QPlainTextEdit()
        self.rationale.setObjectName("cutlineRationale")
        self.rationale.setTabChangesFocus(True)
        self.rationale.setPlaceholderText(
            "Why the line moves: required, and kept in the audit trail"
        )
        official = (
            f"The round's {line.basis or 'places'} put the line after {line.official}."
            if line.official is not None
            else "The round sets no places or budget."
        )
        intro = QLabel(official)
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Move the line")
        self.reset = buttons.addButton(
            "Back to the round's places", QDialogButtonBox.ButtonRole.ResetRole
        )
        self.reset.setEnabled(line.moved)
        self.reset_requested = False
        self.reset.clicked.connect(self._reset)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow("&Places above the line:", self.places)
        form.addRow("&Rationale:", self.rationale)
        form.addRow(buttons)
        self.resize(520, 260)

    def _reset(self) -> None:
        self.reset_requested = True
        self.accept()


class RankingPage(QWidget):
    title: ClassVar[str] = "Ranking"
    roles: ClassVar[frozenset[Role]] = MAY_OPEN

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rankingPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.result: ranking.Ranking | None = None
        self.chair = workspace.role == Role.MODERATOR

        self.heading = QLabel()
        self.heading.setObjectName("rankingHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.mode = QComboBox()
        self.mode.setObjectName("rankingMode")
        self.mode.setAccessibleName("Show")
        self.mode.addItems([label for _, label in MODES])
        # Long choices must not widen the window: show a part, the list shows them whole.
        self.mode.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.mode.setMinimumContentsLength(16)
        self.filter = QLineEdit(placeholderText="Filter by ref or title")
        self.filter.setObjectName("rankingFilter")
        self.filter.setClearButtonEnabled(True)
        self.move_action = QAction("Move the cut-&line…", self)
        self.move_action.setShortcut(QKeySequence("Ctrl+L"))
        self.move_action.triggered.connect(self.move_cutline)
        self.export_action = QAction("&Export CSV…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.export_csv)
        self.goto_action = QAction("&Go to the cut-line", self)
        self.goto_action.setShortcut(QKeySequence("Ctrl+G"))
        self.goto_action.triggered.connect(self.go_to_cutline)
        for action in (self.move_action, self.export_action, self.goto_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.move_button = QPushButton("Move the cut-line…")
        self.move_button.setObjectName("moveCutline")
        self.move_button.clicked.connect(self.move_action.trigger)
        if not self.chair:  # never setVisible(True): not yet in a widget, it would be a window
            self.move_button.hide()
        self.goto_button = QPushButton("Go to the cut-line")
        self.goto_button.setObjectName("goToCutline")
        self.goto_button.setToolTip("Ctrl+G")
        self.goto_button.clicked.connect(self.goto_action.trigger)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportRanking")
        self.export_button.clicked.connect(self.export_action.trigger)

        self.model = RankingModel(self)
        self.table = CutlineTable()
        self.table.setObjectName("rankingTable")
        self.table.setAccessibleName("Ranking")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        for column, width in ((0, 52), (1, 52), (2, 92), (4, 64), (5, 74), (6, 92), (7, 74)):
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(8, 70)
        self.explain = QLabel()
        self.explain.setObjectName("rankingExplanation")
        self.explain.setTextFormat(Qt.TextFormat.RichText)
        self.explain.setWordWrap(True)
        self.explain.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.explain.setMinimumWidth(200)
        self.explain.setMargin(8)
        self.empty = QLabel()
        self.empty.setObjectName("rankingEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(24)

        bar = QHBoxLayout()
        show_label = QLabel("&Show:")
        show_label.setBuddy(self.mode)
        bar.addWidget(show_label)
        bar.addWidget(self.mode)
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.goto_button)
        bar.addWidget(self.move_button)
        bar.addWidget(self.export_button)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.table)
        body.addWidget(self.explain)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([860, 320])
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.heading)
        content_layout.addLayout(bar)
        content_layout.addWidget(body, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(content)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.stack)

        self.mode.currentIndexChanged.connect(self._refilter)
        self.filter.textChanged.connect(self._refilter)

    # --- RoundPage -----------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        self.result = None
        if summary is None:
            self._empty("No rounds yet.")
            return
        if not summary.competitive:
            self._empty(
                f"{summary.ref} is not a competitive round: its submissions are judged against "
                "the criteria, not ranked against each other."
            )
            return
        ref = summary.ref
        try:
            self.result = run_in_background(
                self,
                f"Ranking {ref}",
                lambda progress: self.workspace.read(ranking.rank_round, ref),
                minimum_duration_ms=400,
            )
        except BadInput as error:
            self._empty(str(error))
            return
        except Cancelled:
            self._empty("Ranking cancelled. Press F5 to rank again.")
            return
        self._show_result()

    def refresh(self) -> None:
        self.show_round(self.summary)

    def _empty(self, text: str) -> None:
        self.model.show(None)
        self.empty.setText(text)
        self.stack.setCurrentIndex(1)
        for action in (self.move_action, self.export_action, self.goto_action):
            action.setEnabled(False)
        self.goto_button.setEnabled(False)

    # --- showing -------------------------------------------------------------------------

    def _show_result(self) -> None:
        result = self.result
        assert result is not None
        self.stack.setCurrentIndex(0)
        self.move_action.setEnabled(self.chair and bool(result.ranked))
        self.export_action.setEnabled(True)
        self.model.show(result)
        self._refilter()
        line = result.cutline
        ranked = len(result.ranked)
        moving = len(result.changes_side)
        parts = [
            f"<b style='font-size:15px'>Ranking of {escape(result.round_ref)}</b> · "
            f"{ranked:,} ranked, {len(result.not_ranked):,} not ranked"
        ]
        if line.places is not None:
            how = (
                f"moved by the chair from {line.official} — “{escape(line.rationale)}”"
                if line.moved
                else f"from the round's {line.basis}"
            )
            parts.append(
                f"<b style='color:#d93025'>Cut-line after {line.places:,}</b> ({how}) · "
                f"<b>{moving:,}</b> change side under another method"
            )
        else:
            parts.append(f"<span style='color:#5f6368'>{escape(line.note)}</span>")
        if result.tie_at_line:
            parts.append(
                "<span style='color:#b3261e'><b>A tie straddles the cut-line</b>: the "
                "submissions share a rank after every tie-break; decide it by moving the "
                "line, with a rationale.</span>"
            )
        self.heading.setText("<br>".join(parts))
        self.explain.setText(self._explanation(result))

    def _explanation(self, result: ranking.Ranking) -> str:
        robust = result.robust
        methods = "".join(
            f"<li><b>{METHOD_LABELS[m]}</b>: {text}</li>"
            for m, text in (
                ("median", "each criterion's median reviewer score (moderated values win)"),
                ("borda", "each reviewer's own order of the proposals they reviewed"),
                ("schulze", "the same ballots, compared pairwise (strongest paths)"),
            )
        )
        breaks = "".join(f"<li>{escape(b)}</li>" for b in result.tie_breaks)
        sensitivity = ""
        if result.cutline.places is not None:
            sensitivity = (
                "<p><b>Sensitivity</b><br>"
                f"Above the line by every method: <b>{robust.get('above', 0):,}</b><br>"
                f"Below the line by every method: <b>{robust.get('below', 0):,}</b><br>"
                f"Change side by some method: <b style='color:#8a5a00'>"
                f"{robust.get('changes_side', 0):,}</b> (tinted ▲▼ in the table)</p>"
            )
        return (
            f"{sensitivity}<p><b>Official score</b>: the weighted mean of the moderated "
            "scores (the chair's value where moderated, else the reviewers' mean).</p>"
            f"<p><b>Other methods</b></p><ul>{methods}</ul>"
            f"<p><b>Ties are broken by</b></p><ol>{breaks}</ol>"
        )

    def _refilter(self) -> None:
        mode = MODES[max(self.mode.currentIndex(), 0)][0]
        self.model.set_filter(mode, self.filter.text())
        result = self.result
        whole = self.model.whole_ranking and result is not None
        self.table.places = result.cutline.places if whole and result else None
        self.goto_action.setEnabled(bool(self.table.places))
        self.goto_button.setEnabled(bool(self.table.places))
        if result is not None and result.cutline.places is not None:
            self.table.label = f"cut-line: {result.cutline.places:,} places"
        self.table.viewport().update()

    # --- commands ------------------------------------------------------------------------

    def go_to_cutline(self) -> None:
        """Scroll to the line and choose the last submission above it."""
        places = self.table.places
        if not places:
            return
        index = self.model.index(places - 1, 2)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.table.setCurrentIndex(index)
        self.table.setFocus()

    def move_cutline(self) -> None:
        if self.result is None or not self.chair or self.summary is None:
            return
        dialog = CutlineDialog(self.result, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        places = None if dialog.reset_requested else dialog.places.value()
        try:
            self.result = self.workspace.run(
                ranking.move_cutline,
                self.summary.ref,
                places,
                dialog.rationale.toPlainText(),
                self.workspace.person.email,
            )
        except BadInput as error:
            show_bad_input(self, "Move the cut-line", error)
            return
        self._show_result()
        line = ranking_export.cutline_text(self.result.cutline, len(self.result.ranked))
        self.status.emit(f"Cut-line: {line}")

    def export_csv(self) -> None:
        if self.result is None:
            return
        suggested = f"ranking-{self.result.round_ref}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export the ranking", suggested, "CSV (*.csv)")
        if not path:
            return
        self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        assert self.result is not None
        try:
            count = ranking_export.write_ranking_csv(self.result, path)
        except BadInput as error:
            show_bad_input(self, "Export the ranking", error)
            return
        self.status.emit(f"Ranking of {self.result.round_ref} ({count} ranked) saved to {path}")
