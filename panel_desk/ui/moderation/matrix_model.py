"""One submission's criteria × reviewers matrix, with the chair's decisions beside it.

Rows are the criteria, then the overall recommendation; columns the criterion, each
reviewer (R1, R2…), the spread drawn as a small chart (spread_chart.py), and the moderated
value. A divergent row is tinted at a glance: red while it still needs a decision, green
once it has a value and a rationale. Decisions not yet saved show in italics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from panel_desk.services.moderation_views import MatrixRow, SubmissionModeration
from panel_desk.ui import colours

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Decision:
    value: str
    rationale: str


@dataclass(frozen=True)
class SpreadData:
    """What the spread chart of one row needs."""

    numeric: bool
    options: tuple[str, ...]  # the scale, low to high (numeric: "1"…"5")
    passing: tuple[str, ...]
    values: tuple[str, ...]  # the reviewers' values that count
    threshold: float | None
    divergent: bool
    moderated: str | None


class MatrixModel(QAbstractTableModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.detail: SubmissionModeration | None = None
        self.pending: Mapping[str, Decision] = {}
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setBold(True)

    def show(self, detail: SubmissionModeration | None, pending: Mapping[str, Decision]) -> None:
        self.beginResetModel()
        self.detail, self.pending = detail, pending
        self.endResetModel()

    def pending_changed(self, pending: Mapping[str, Decision]) -> None:
        self.pending = pending
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1)
            )

    # --- shape ---------------------------------------------------------------------------

    @property
    def reviewers(self) -> int:
        return len(self.detail.reviewers) if self.detail else 0

    @property
    def spread_column(self) -> int:
        return 1 + self.reviewers

    @property
    def moderated_column(self) -> int:
        return 2 + self.reviewers

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.detail is None else len(self.detail.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.detail is None else 3 + self.reviewers

    def row_at(self, row: int) -> MatrixRow:
        assert self.detail is not None
        return self.detail.rows[row]

    def row_of(self, key: str) -> int:
        if self.detail is None:
            return -1
        return next((n for n, r in enumerate(self.detail.rows) if r.key == key), -1)

    def decision(self, row: MatrixRow) -> Decision | None:
        """The pending decision, else the saved one, else None."""
        if row.key in self.pending:
            return self.pending[row.key]
        if row.moderated_value is not None:
            return Decision(row.moderated_value, row.rationale)
        return None

    def state(self, row: MatrixRow) -> str:
        """ "needs", "done" (divergent and decided), "decided" (not divergent) or ""."""
        decision = self.decision(row)
        decided = decision is not None and bool(decision.rationale.strip())
        if row.divergent:
            return "done" if decided else "needs"
        return "decided" if decision is not None else ""

    # --- headers -------------------------------------------------------------------------

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if self.detail is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return "Criterion"
            if section == self.spread_column:
                return "Spread"
            if section == self.moderated_column:
                return "Moderated"
            reviewer = self.detail.reviewers[section - 1]
            return f"{reviewer.label}\n{reviewer.name}" if reviewer.name else reviewer.label
        if role == Qt.ItemDataRole.ToolTipRole and 0 < section <= self.reviewers:
            reviewer = self.detail.reviewers[section - 1]
            who = f"{reviewer.name} <{reviewer.email}>" if reviewer.email else reviewer.label
            state = {
                "submitted": "review submitted",
                "draft": "review still a draft: it does not count yet",
                "none": "no review yet",
            }.get(reviewer.state, reviewer.state)
            return f"{who}: {state}"
        if role == Qt.ItemDataRole.ToolTipRole and section == self.spread_column:
            return "Each dot is a reviewer; the bar spans lowest to highest; ◆ the moderated value"
        return None

    # --- cells ---------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or self.detail is None:
            return None
        row = self.detail.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.BackgroundRole:
            tint = self.tint(row)
            return QBrush(tint) if tint else None
        if column == 0:
            return self._criterion(row, role)
        if column == self.spread_column:
            return self._spread(row, role)
        if column == self.moderated_column:
            return self._moderated(row, role)
        return self._reviewer(row, column - 1, role)

    def _criterion(self, row: MatrixRow, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return row.label
        if role == Qt.ItemDataRole.ToolTipRole:
            facts = [row.group] if row.group else []
            if row.gateway:
                facts.append("gateway: must be met")
            if row.weight:
                facts.append(f"weight {row.weight:g}")
            if row.threshold is not None:
                facts.append(f"divergent at a spread of {row.threshold:g}")
            # Rich text, so Qt wraps a long guidance paragraph instead of one wide line.
            tip = f"<p><b>{escape(row.label)}</b><br/>{escape(' · '.join(facts))}</p>"
            return tip + (f"<p>{escape(row.guidance)}</p>" if row.guidance else "")
        if role == Qt.ItemDataRole.FontRole and row.key == "recommendation":
            return self._bold
        return None

    def _reviewer(self, row: MatrixRow, position: int, role: int) -> object:
        cell = row.cells[position]
        if role == Qt.ItemDataRole.DisplayRole:
            return "—" if cell is None else cell.value
        if role == Qt.ItemDataRole.ToolTipRole:
            if cell is None:
                return "No value that counts (no submitted review, or not scored)"
            return f"{cell.value}\n\n{cell.comment}" if cell.comment else cell.value
        if role == Qt.ItemDataRole.ForegroundRole:
            if cell is None:
                return QBrush(colours.quiet())
            if not row.numeric:
                return QBrush(colours.hue("good" if cell.value in row.passing else "bad"))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.FontRole and row.divergent and cell is not None:
            return self._bold
        return None

    def tint(self, row: MatrixRow) -> QColor | None:
        """A background that follows the palette: text stays readable, light or dark."""
        name = {"needs": "bad", "done": "good"}.get(self.state(row))
        return colours.tint(name) if name else None

    def spread_data(self, row: MatrixRow) -> SpreadData:
        decision = self.decision(row)
        return SpreadData(
            row.numeric,
            row.options,
            row.passing,
            tuple(c.value for c in row.given),
            row.threshold,
            row.divergent,
            decision.value if decision else None,
        )

    def _spread(self, row: MatrixRow, role: int) -> object:
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.numeric and row.spread is not None:
                limit = f" (divergent at {row.threshold:g})" if row.threshold is not None else ""
                return f"Spread {row.spread:g}{limit}; mean {row.mean:.2f}"
            return "The reviewers disagree" if row.divergent else "The reviewers agree"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"spread {row.spread:g}" if row.spread is not None else ""
        return None

    def _moderated(self, row: MatrixRow, role: int) -> object:
        decision = self.decision(row)
        unsaved = row.key in self.pending
        if role == Qt.ItemDataRole.DisplayRole:
            if decision is None:
                return "needed" if row.divergent else ""
            missing = "" if decision.rationale.strip() else " · no rationale"
            return f"{decision.value}{missing}{' (unsaved)' if unsaved else ''}"
        if role == Qt.ItemDataRole.ToolTipRole and decision is not None:
            return f"{decision.value}\n\nRationale: {decision.rationale or '(none yet)'}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if decision is None or not decision.rationale.strip():
                return QBrush(colours.hue("bad")) if row.divergent or decision is not None else None
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if unsaved else self._bold if decision is not None else None
        return None
