"""The Moderation and Ranking pages driven as a panel chair drives them: keys first."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

from panel_desk.services import roster
from panel_desk.services.database import Database
from panel_desk.services.moderation_views import ModerationRow
from panel_desk.services.vocabulary import Role
from panel_desk.store.models import AuditEvent, ModerationItem
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.moderation.list_model import ModerationListModel
from panel_desk.ui.moderation.page import ModerationPage
from panel_desk.ui.moderation.ranking_page import RankingPage
from tests.dbstate import fingerprint
from tests.ui.conftest import answer_next_modal


@pytest.fixture
def chair(demo_db: Database) -> str:
    """A moderator who reviews nothing, so may moderate every submission."""
    return next(
        p.email
        for p in demo_db.read(roster.list_people)
        if "moderator" in p.roles and "reviewer" not in p.roles
    )


def open_page(qtbot, window: MainWindow, kind: type) -> ModerationPage | RankingPage:
    """Show the page with its Alt+N shortcut, as the keyboard would."""
    index = next(n for n, p in enumerate(window.pages) if isinstance(p, kind))
    qtbot.keySequence(window, QKeySequence(f"Alt+{index + 1}"))
    page = window.pages[index]
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is page)
    return page


def moderated(db: Database) -> list[tuple[str, str, str]]:
    return db.read(
        lambda s: [
            tuple(r)
            for r in s.execute(
                select(
                    ModerationItem.item_key,
                    ModerationItem.moderated_value,
                    ModerationItem.rationale,
                )
            )
        ]
    )


def record_with_keys(qtbot, page: ModerationPage, letter: str, rationale: str) -> None:
    """From the matrix: Enter to the decision, a letter to choose, Tab, type, Ctrl+Return."""
    matrix = page.detail.matrix
    matrix.setFocus()
    qtbot.keyClick(matrix, Qt.Key.Key_Return)
    assert page.detail.value.hasFocus()
    qtbot.keyClicks(page.detail.value, letter)
    qtbot.keyClick(page.detail.value, Qt.Key.Key_Tab)
    assert page.detail.rationale.hasFocus()
    qtbot.keySequence(page.detail.rationale, QKeySequence("Ctrl+A"))  # replace what is shown
    qtbot.keyClick(page.detail.rationale, Qt.Key.Key_Delete)
    if rationale:
        qtbot.keyClicks(page.detail.rationale, rationale)
    qtbot.keySequence(page.detail.rationale, QKeySequence("Ctrl+Return"))


def test_the_chair_moderates_a_divergent_item_with_the_keyboard(
    qtbot, open_window, demo_db, chair
) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, ModerationPage)
    assert page.model.rowCount() > 0
    first = page.model.row_at(0)
    assert first.needs_moderation  # the most divergent submission comes first

    # Tab from the list reaches the matrix: the page needs no mouse.
    page.table.setFocus()
    for _ in range(6):
        if page.detail.matrix.hasFocus():
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert page.detail.matrix.hasFocus()
    row = page.detail.current_row()
    assert row is not None and row.needs_moderation
    before = moderated(demo_db)  # the demo's chair has moderated a few already

    record_with_keys(qtbot, page, row.options[0][0], "R3 missed the appendix on scale")
    model = page.detail.model
    cell = model.index(model.row_of(row.key), model.moderated_column).data()
    assert cell == f"{row.options[0]} (unsaved)"
    assert moderated(demo_db) == before  # nothing saved yet

    qtbot.keySequence(page.detail.rationale, QKeySequence("Ctrl+S"))
    added = set(moderated(demo_db)) - set(before)
    assert added == {(row.key, row.options[0], "R3 missed the appendix on scale")}
    events = demo_db.read(
        lambda s: s.scalars(
            select(AuditEvent.payload).where(AuditEvent.action == "moderation.item_recorded")
        ).all()
    )
    assert json.loads(events[-1])["rationale"] == "R3 missed the appendix on scale"
    assert page.pending.empty and not page.save_action.isEnabled()
    assert page.model.row_at(page.model.row_of(first.id)).unresolved == first.unresolved - 1
    # Ctrl+J goes on to the next item still to moderate.
    qtbot.keySequence(page.detail.matrix, QKeySequence("Ctrl+J"))
    assert page.detail.current_row().needs_moderation


def test_saving_without_a_rationale_is_refused_with_a_message(
    qtbot, open_window, demo_db, demo_path, chair
) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, ModerationPage)
    row = page.detail.current_row()
    record_with_keys(qtbot, page, row.options[-1][0], "")
    assert "without a rationale" in page.detail.hint.text()
    before = fingerprint(demo_path)
    messages: list[str] = []

    def read_and_close(dialog) -> None:
        assert isinstance(dialog, QMessageBox)
        messages.append(f"{dialog.text()}\n{dialog.informativeText()}")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    answer_next_modal(qtbot, read_and_close)
    qtbot.keySequence(page.detail.matrix, QKeySequence("Ctrl+S"))
    qtbot.waitUntil(lambda: bool(messages))

    assert "a rationale is required" in messages[0] and "Nothing was changed" in messages[0]
    assert fingerprint(demo_path) == before
    assert row.key in page.pending.items  # still there to complete


def test_undo_takes_back_a_decision_until_it_is_saved(qtbot, open_window, chair) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, ModerationPage)
    row = page.detail.current_row()
    model = page.detail.model
    cell = model.index(model.row_of(row.key), model.moderated_column)
    record_with_keys(qtbot, page, row.options[0][0], "First thoughts")
    record_with_keys(qtbot, page, row.options[-1][0], "Second thoughts")
    assert page.pending.items[row.key].rationale == "Second thoughts"

    page.detail.matrix.setFocus()
    qtbot.keySequence(page.detail.matrix, QKeySequence("Ctrl+Z"))
    assert page.pending.items[row.key].rationale == "First thoughts"
    assert page.detail.rationale.toPlainText() == "First thoughts"
    qtbot.keySequence(page.detail.matrix, QKeySequence("Ctrl+Z"))
    assert page.pending.empty and cell.data() == "needed"
    qtbot.keySequence(page.detail.matrix, QKeySequence("Ctrl+Shift+Z"))
    assert page.pending.items[row.key].rationale == "First thoughts"
    assert "(unsaved)" in cell.data()


def test_the_list_filters_to_what_needs_moderation_and_sorts(qtbot, open_window, chair) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, ModerationPage)
    total, needing = page.model.total, page.model.needing
    assert 0 < needing < total
    qtbot.keySequence(page, QKeySequence("Alt+M"))  # a mnemonic clicks after a moment
    qtbot.waitUntil(page.needs_only.isChecked)
    assert page.model.rowCount() == needing
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    refs = [page.model.row_at(n).ref for n in range(page.model.rowCount())]
    assert refs == sorted(refs)


def test_the_secretariat_reads_the_matrix_but_decides_nothing(qtbot, open_window) -> None:
    window = open_window(Role.SECRETARIAT)
    page = open_page(qtbot, window, ModerationPage)
    assert not page.detail.decision_box.isEnabled()
    assert "Only a moderation panel chair" in page.detail.read_only.text()
    assert page.saveButton.isHidden()
    page.detail.reveal.setChecked(True)
    header = page.detail.model.headerData(1, Qt.Orientation.Horizontal)
    assert header.startswith("R1\n") and len(header) > 6


def test_a_large_list_sorts_in_the_model_without_stalling(qtbot) -> None:
    rows = [
        ModerationRow(n, f"GW-{n:05d}", f"Title {n % 97}", 3, 3, n % 11, n % 7, n % 5, 0.5, "")
        for n in range(20_000)
    ]
    model = ModerationListModel()
    # CPU time, not the wall clock: on a busy machine the clock measures the others too.
    # About 0.1 s of CPU here; a model that sorted through Qt's proxies or per-row reads
    # would take many times the bound.
    started = time.process_time()
    model.set_rows(rows)
    for column in range(model.columnCount()):
        model.sort(column, Qt.SortOrder.DescendingOrder)
    model.set_filter("title 5", True)
    elapsed = time.process_time() - started
    assert elapsed < 1.5, f"{elapsed:.2f} s of CPU"
    assert all(model.row_at(n).needs_moderation for n in range(model.rowCount()))


def test_the_list_keeps_ties_in_reference_order_and_resorts_a_saved_row(qtbot) -> None:
    """Sort keys are worked out once a column: a row replaced after a save must sort by
    its new values, and rows that tie keep reference order whichever way the column sorts."""

    def row(n: int, unresolved: int, outcome: str = "") -> ModerationRow:
        return ModerationRow(n, f"GW-{n:03d}", f"Title {n}", 3, 3, 2, unresolved, 2, 1, outcome)

    model = ModerationListModel()
    model.set_rows([row(3, 1), row(1, 1), row(2, 0), row(4, 2)])
    model.sort(3, Qt.SortOrder.DescendingOrder)
    assert [model.row_at(n).ref for n in range(4)] == ["GW-004", "GW-001", "GW-003", "GW-002"]
    model.sort(3, Qt.SortOrder.AscendingOrder)
    assert [model.row_at(n).ref for n in range(4)] == ["GW-002", "GW-001", "GW-003", "GW-004"]

    model.replace_row(row(4, 0, "Prioritise"))  # moderated: nothing left to do
    assert model.row_at(model.row_of(4)).outcome == "Prioritise"
    model.sort(3, Qt.SortOrder.DescendingOrder)
    assert [model.row_at(n).ref for n in range(4)] == ["GW-001", "GW-003", "GW-002", "GW-004"]
    model.set_filter("", True)
    assert [model.row_at(n).ref for n in range(model.rowCount())] == ["GW-001", "GW-003"]
    assert model.row_of(4) == -1 and model.needing == 2


def test_the_ranking_shows_the_cut_line_and_the_chair_moves_it_with_a_reason(
    qtbot, open_window, chair, tmp_path: Path
) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, RankingPage)
    result = page.result
    assert result is not None and result.ranked
    assert page.table.places == result.cutline.places
    assert f"Cut-line after {result.cutline.places}" in page.heading.text()
    qtbot.keySequence(page.table, QKeySequence("Ctrl+G"))
    assert page.table.currentIndex().row() == result.cutline.places - 1

    def move(dialog) -> None:
        dialog.places.setValue(1)
        dialog.rationale.setPlainText("Only one place is funded this year")
        qtbot.keyClick(dialog.places, Qt.Key.Key_Return)

    answer_next_modal(qtbot, move)
    qtbot.keySequence(page.table, QKeySequence("Ctrl+L"))
    qtbot.waitUntil(lambda: page.result.cutline.moved)
    assert page.table.places == 1 and "Only one place is funded" in page.heading.text()

    page.export_to(tmp_path / "ranking.csv")
    assert (tmp_path / "ranking.csv").read_text(encoding="utf-8-sig").startswith("# Ranking of")


def test_a_round_that_is_not_competitive_says_so(qtbot, open_window, chair) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, RankingPage)
    window.navigator.step(1)  # the endorsement round
    qtbot.waitUntil(lambda: page.summary is not None and page.summary.ref == "EN-2026-02")
    assert "not a competitive round" in page.empty.text()


def test_the_outcome_and_feedback_are_saved_from_the_keyboard(
    qtbot, open_window, demo_db, chair
) -> None:
    from panel_desk.store.models import Recommendation

    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, ModerationPage)
    agreed = next(
        page.model.row_at(n)
        for n in range(page.model.rowCount())
        if page.model.row_at(n).divergent == 0 and not page.model.row_at(n).outcome
    )
    page.table.setFocus()
    page.table.selectRow(page.model.row_of(agreed.id))
    assert page.detail.detail.unanimous is not None  # the reviewers agree: that is the outcome
    page.detail.feedback.setFocus()
    qtbot.keyClicks(page.detail.feedback, "A clear need, well evidenced.")
    qtbot.keyClick(page.detail.feedback, Qt.Key.Key_Tab)  # leaving the box takes the text
    assert "the outcome's text" in page.unsaved.text()
    qtbot.keySequence(QApplication.focusWidget(), QKeySequence("Ctrl+S"))
    saved = demo_db.read(
        lambda s: s.execute(
            select(Recommendation.outcome, Recommendation.feedback, Recommendation.version).where(
                Recommendation.submission_id == agreed.id
            )
        ).one()
    )
    assert tuple(saved) == (page.detail.detail.unanimous, "A clear need, well evidenced.", 1)
    assert page.model.row_at(page.model.row_of(agreed.id)).outcome == saved[0]


def test_leaving_a_submission_with_unsaved_decisions_asks_first(qtbot, open_window, chair) -> None:
    window = open_window(Role.MODERATOR, chair)
    page = open_page(qtbot, window, ModerationPage)
    first = page.chosen()
    record_with_keys(qtbot, page, page.detail.current_row().options[0][0], "Pending")
    asked: list[str] = []

    def cancel(dialog) -> None:
        asked.append(dialog.objectName())
        dialog.button(QMessageBox.StandardButton.Cancel).click()

    answer_next_modal(qtbot, cancel)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: bool(asked))
    assert asked == ["unsavedDialog"] and page.chosen() == first and not page.pending.empty

    def discard(dialog) -> None:
        asked.append(dialog.objectName())
        dialog.button(QMessageBox.StandardButton.Discard).click()

    answer_next_modal(qtbot, discard)
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: len(asked) == 2)
    assert page.chosen() != first and page.pending.empty
