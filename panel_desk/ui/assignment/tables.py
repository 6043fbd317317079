"""The assignment page's two tables: submissions × team with the expertise covered, and the
load per reviewer; and the filters over the first."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from panel_desk.services.assignment_views import TeamRow
from panel_desk.services.vocabulary import ScreeningState
from panel_desk.ui.conflicts.list_model import Column, ListTableModel

GOOD, BAD, MUTED = "#1b7f3a", "#b3261e", "#5f6368"


def _coverage(row: TeamRow) -> str:
    if not row.ready:
        return f"not through screening ({ScreeningState(row.screening_state).label})"
    if not row.members:
        return "no team yet"
    return "covers the mix" if not row.missing else f"lacks {', '.join(row.missing)}"


def _coverage_colour(row: TeamRow) -> str:
    if not row.ready:
        return MUTED
    return GOOD if row.covered else BAD


TEAM_COLUMNS = (
    Column("Ref", lambda r: r.ref, lambda r: r.ref),
    Column("Title", lambda r: r.title, lambda r: r.title.casefold()),
    Column("Area", lambda r: r.area.replace("-", " ").capitalize(), lambda r: r.area),
    Column(
        "Team",
        lambda r: str(len(r.members)),
        lambda r: len(r.members),
        numeric=True,
        searched=False,
        tip="reviewers assigned",
    ),
    Column(
        "Reviewers",
        lambda r: ", ".join(m.name for m in r.members),
        lambda r: tuple(m.name for m in r.members),
    ),
    Column(
        "Expertise",
        _coverage,
        lambda r: (not r.ready, r.covered, len(r.missing)),
        colour=_coverage_colour,
        searched=False,
        tip="whether the team holds every tag of the stage's expertise mix",
    ),
    Column(
        "Conflicts",
        lambda r: str(r.flags) if r.flags else "",
        lambda r: r.flags,
        numeric=True,
        searched=False,
        tip="people a conflict flag keeps off this submission",
    ),
)

LOAD_COLUMNS = (
    Column("Reviewer", lambda r: r.name, lambda r: r.name.casefold()),
    Column("Load", lambda r: str(r.load), lambda r: r.load, numeric=True, searched=False),
    Column("Expertise", lambda r: ", ".join(r.tags), lambda r: r.tags),
)

COVERAGE: tuple[tuple[str, Callable[[TeamRow], bool] | None], ...] = (
    ("Every submission", None),
    ("Without a team covering the mix", lambda r: r.ready and not r.covered),
    ("With a team covering the mix", lambda r: r.covered),
    ("Not through screening", lambda r: not r.ready),
)


def table_view(model: ListTableModel, name: str, accessible: str, stretch: int) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setAccessibleName(accessible)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table
