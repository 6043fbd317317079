"""The submissions table's model reads counts only for the rows it shows, and all of them
only to sort by a count; sorting and filtering keep working on rows without counts."""

from __future__ import annotations

from PySide6.QtCore import Qt

from panel_desk.services.submission_views import SubmissionCounts, SubmissionRow
from panel_desk.ui.submissions.table_model import COLUMNS, PAGE, SubmissionsTableModel

ROWS = 2_000
REVIEWS = next(n for n, c in enumerate(COLUMNS) if c.title == "Reviews")


def _rows() -> list[SubmissionRow]:
    return [
        SubmissionRow(n, f"GW-{n:05d}", f"Title {ROWS - n}", "Lead org", "frailty", "complete")
        for n in range(ROWS)
    ]


class Counter:
    """Counts as a service would give them (submission n: n % 5 reviewers), noting asks."""

    def __init__(self) -> None:
        self.asked: list[list[int]] = []

    def __call__(self, ids: list[int]) -> dict[int, SubmissionCounts]:
        self.asked.append(list(ids))
        return {i: SubmissionCounts(0, 1, i % 5, i % 3 if i % 5 else 0) for i in ids}


def _shown(model: SubmissionsTableModel, row: int, column: int) -> str:
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


def test_counts_are_read_a_page_at_a_time_as_rows_are_shown(qtbot):
    model, counter = SubmissionsTableModel(), Counter()
    model.set_rows(_rows(), counter)
    assert counter.asked == []  # loading reads no count at all
    assert _shown(model, 0, REVIEWS) == "—"  # submission 0: no reviewers
    assert _shown(model, 7, REVIEWS) == "1 of 2"
    assert len(counter.asked) == 1 and len(counter.asked[0]) <= PAGE
    assert _shown(model, 1503, REVIEWS) == "0 of 3"
    assert len(counter.asked) == 2
    assert sum(len(a) for a in counter.asked) < ROWS // 4


def test_sorting_by_a_count_reads_every_row_s_counts_once(qtbot):
    model, counter = SubmissionsTableModel(), Counter()
    model.set_rows(_rows(), counter)
    model.sort(1, Qt.SortOrder.AscendingOrder)  # by title: no count needed
    assert counter.asked == []
    assert _shown(model, 0, 1) == "Title 1"  # showing a row reads its page's counts
    model.sort(REVIEWS, Qt.SortOrder.DescendingOrder)
    assert len(counter.asked) == 2  # the rest, at once
    asked = [i for ids in counter.asked for i in ids]
    assert sorted(asked) == list(range(ROWS))  # every row's, none twice
    assert _shown(model, 0, REVIEWS) == "2 of 4"
    model.sort(REVIEWS, Qt.SortOrder.AscendingOrder)
    assert len(counter.asked) == 2  # already read
    assert _shown(model, 0, REVIEWS) == "—"


def test_filtering_rows_without_counts(qtbot):
    model, counter = SubmissionsTableModel(), Counter()
    model.set_rows(_rows(), counter)
    model.set_filter("gw-0199")
    assert [model.row_at(r).ref for r in range(model.rowCount())] == [
        f"GW-0199{n}" for n in range(10)
    ]
    assert model.row_at(0).counts == SubmissionCounts(0, 1, 0, 0)  # row_at brings its counts
    model.set_filter("")
    assert model.rowCount() == ROWS
