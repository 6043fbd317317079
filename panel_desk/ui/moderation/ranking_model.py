"""The ranking table's model: official order, the other methods' positions beside it.

A method's position is tinted where it puts the submission on the other side of the
cut-line, so the sensitivity reads straight off the table. Rows are in official order;
the view draws the cut-line between rows (ranking_page.py). Filters: every ranked
submission, only those that change side, or the submissions not ranked and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from panel_desk.services.ranking import NotRanked, RankedSubmission, Ranking
from panel_desk.services.ranking_methods import METHOD_LABELS, METHODS
from panel_desk.ui import colours

Index = QModelIndex | QPersistentModelIndex
RANKED, CHANGES_SIDE, NOT_RANKED = "ranked", "changes", "not_ranked"
HEADERS = (
    "Pos.",
    "Rank",
    "Ref",
    "Title",
    "Score",
    *(METHOD_LABELS[m] for m in METHODS),
    "Side",
)
FIRST_METHOD = 5
SIDE = FIRST_METHOD + len(METHODS)
NOT_RANKED_HEADERS = ("", "", "Ref", "Title", "Status", "", "", "", "Why not ranked")


def _side(above: bool | None) -> str:
    return "" if above is None else ("above" if above else "below")


class RankingModel(QAbstractTableModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.ranking: Ranking | None = None
        self.mode = RANKED
        self._rows: Sequence[RankedSubmission] = ()
        self._not_ranked: Sequence[NotRanked] = ()
        self._filter = ""
        self._bold = QFont()
        self._bold.setBold(True)

    def show(self, ranking: Ranking | None) -> None:
        self.beginResetModel()
        self.ranking = ranking
        self._apply()
        self.endResetModel()

    def set_filter(self, mode: str, text: str) -> None:
        self.beginResetModel()
        self.mode, self._filter = mode, text.strip().casefold()
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        words = self._filter.split()

        def wanted(ref: str, title: str) -> bool:
            haystack = f"{ref} {title}".casefold()
            return all(w in haystack for w in words)

        ranking = self.ranking
        ranked = ranking.ranked if ranking else ()
        self._rows = [
            r for r in ranked if (self.mode == RANKED or r.changes_side) and wanted(r.ref, r.title)
        ]
        not_ranked = ranking.not_ranked if ranking else ()
        self._not_ranked = [n for n in not_ranked if wanted(n.ref, n.title)]

    @property
    def whole_ranking(self) -> bool:
        """Every ranked submission is shown, in order: the cut-line can be drawn."""
        return (
            self.mode == RANKED
            and not self._filter
            and self.ranking is not None
            and len(self._rows) == len(self.ranking.ranked)
        )

    def row_at(self, row: int) -> RankedSubmission | NotRanked:
        return self._not_ranked[row] if self.mode == NOT_RANKED else self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._not_ranked) if self.mode == NOT_RANKED else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return (NOT_RANKED_HEADERS if self.mode == NOT_RANKED else HEADERS)[section]
        if role == Qt.ItemDataRole.ToolTipRole and self.mode != NOT_RANKED:
            if section == 4:
                return "Weighted mean of the moderated scores (the official method)"
            if FIRST_METHOD <= section < SIDE:
                return (
                    f"Position by {HEADERS[section]}; tinted where it falls on the other "
                    "side of the cut-line"
                )
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if self.mode == NOT_RANKED:
            return self._not_ranked_data(self._not_ranked[index.row()], index.column(), role)
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(r.position)
            if column == 1:
                return f"={r.rank}" if r.tied else str(r.rank)
            if column == 2:
                return r.ref
            if column == 3:
                return r.title
            if column == 4:
                return f"{r.score:.3f}"
            if column < SIDE:
                n = column - FIRST_METHOD
                arrow = (
                    "" if r.method_above[n] == r.above else (" ▲" if r.method_above[n] else " ▼")
                )
                return f"{r.method_positions[n]}{arrow}"
            return _side(r.above)
        if role == Qt.ItemDataRole.BackgroundRole and FIRST_METHOD <= column < SIDE:
            n = column - FIRST_METHOD
            return QBrush(colours.tint("warn")) if r.method_above[n] != r.above else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == SIDE:
                return QBrush(colours.hue("good") if r.above else colours.quiet())
            if column == 1 and r.tied:
                return QBrush(colours.hue("warn"))
        if role == Qt.ItemDataRole.FontRole and column in (2, SIDE) and r.above:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1 and r.tied:
                return "Tied after every tie-break: shares its rank"
            if column == 3:
                return r.title
            if column == 4:
                return (
                    "Moderated scores: "
                    + ", ".join(
                        f"{s:.2f}{'*' if m else ''}"
                        for s, m in zip(r.criterion_scores, r.moderated, strict=True)
                    )
                    + "\n* the chair's moderated value"
                )
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in (2, 3, SIDE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _not_ranked_data(self, n: NotRanked, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return {2: n.ref, 3: n.title, 4: n.status, SIDE: n.reason}.get(column, "")
        if role == Qt.ItemDataRole.ToolTipRole and column in (3, SIDE):
            return n.title if column == 3 else n.reason
        return None
