"""The main window driven as a user drives it: keys, clicks, typing."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QKeySequence

from panel_desk.services import submission_views
from panel_desk.services.roster import import_roster, list_people
from panel_desk.services.vocabulary import Role
from panel_desk.ui.main_window import MainWindow
from tests.ui.conftest import workspace_as


def _titles(window: MainWindow) -> list[str]:
    model = window.submissions.model
    return [model.row_at(row).ref for row in range(model.rowCount())]


def test_opens_on_the_first_round_with_its_submissions(open_window):
    window = open_window()
    assert window.navigator.current_ref() == "GW-2026-01"
    assert window.submissions.model.rowCount() == 16
    assert "GW-2026-01: 16 submissions" in window.statusBar().currentMessage()
    assert "Acting as" in window.acting.text() and "Secretariat" in window.acting.text()


def test_keyboard_selection_shows_the_submission_in_the_detail_pane(qtbot, open_window):
    window = open_window()
    table = window.submissions.table
    table.setFocus()
    assert "GW-01" in window.detail.toPlainText()

    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Down)

    third = window.submissions.model.row_at(2)
    text = window.detail.toPlainText()
    assert third.ref == "GW-03"
    assert f"GW-03 — {third.title}" in text
    assert third.lead in text
    assert "Screening" in text and "Template fields" in text and "Documents" in text


def test_detail_pane_lists_screening_gaps(qtbot, open_window):
    window = open_window()
    window.submissions.state.setCurrentIndex(window.submissions.state.findData("gaps_returned"))
    assert _titles(window) == ["GW-09", "GW-14"]
    text = window.detail.toPlainText()
    assert "GW-09" in text
    assert "1 information gap returned to the submitter" in text
    assert "no document sent" in text


def test_typing_in_the_filter_narrows_the_table(qtbot, open_window):
    window = open_window()
    qtbot.keySequence(window, QKeySequence("Ctrl+F"))
    assert window.submissions.filter.hasFocus()

    qtbot.keyClicks(window.submissions.filter, "frailty")

    model = window.submissions.model
    assert 0 < model.rowCount() < 16
    assert all(model.row_at(r).area == "frailty" for r in range(model.rowCount()))
    assert window.submissions.count.text() == f"{model.rowCount()} of 16"

    qtbot.keyClicks(window.submissions.filter, " nothing-matches-this")
    assert model.rowCount() == 0
    assert window.submissions.stack.currentWidget() is window.submissions.empty
    assert "No submission matches" in window.submissions.empty.text()


def test_clicking_a_header_sorts_and_keeps_the_selection(qtbot, open_window):
    window = open_window()
    table = window.submissions.table
    qtbot.keyClick(table, Qt.Key.Key_Down)  # GW-02 chosen
    chosen = window.submissions.chosen()

    header = table.horizontalHeader()
    x = header.sectionViewportPosition(2) + header.sectionSize(2) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))

    model = window.submissions.model
    leads = [model.row_at(r).lead for r in range(model.rowCount())]
    assert leads == sorted(leads, key=str.casefold)
    assert model.row_at(table.currentIndex().row()).id == chosen  # still on the same submission

    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    leads = [model.row_at(r).lead for r in range(model.rowCount())]
    assert leads == sorted(leads, key=str.casefold, reverse=True)


def test_next_round_shortcut_moves_to_the_next_round(qtbot, open_window):
    window = open_window()
    qtbot.keySequence(window, QKeySequence("Ctrl+PgDown"))
    assert window.navigator.current_ref() == "EN-2026-02"
    assert window.submissions.model.rowCount() == 12
    assert "EN-" in window.detail.toPlainText()


def test_a_reviewer_sees_only_their_assignments(open_window, demo_db):
    rows = demo_db.read(submission_views.list_submissions, 1)
    reviewer = next(p for p in demo_db.read(list_people) if p.roles == ("reviewer",))
    mine = demo_db.read(
        submission_views.list_submissions,
        1,
        submission_views.Viewer(reviewer.email, Role.REVIEWER),
    )
    assert 0 < len(mine) < len(rows)
    window = open_window(Role.REVIEWER, reviewer.email)
    window.tabs.setCurrentWidget(window.submissions_page)  # a reviewer opens on My reviews
    shown = {
        window.submissions.model.row_at(r).ref for r in range(window.submissions.model.rowCount())
    }
    assert shown == {row.ref for row in mine}
    assert not window.screening_action.isEnabled()  # screening is the secretariat's work


def test_window_layout_is_kept_between_sessions(qtbot, demo_db, settings: QSettings):
    first = MainWindow(workspace_as(demo_db, Role.SECRETARIAT), settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(700, 500)
    first.navigator.step(1)
    first.close()

    second = MainWindow(workspace_as(demo_db, Role.SECRETARIAT), settings)
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (700, 500)
    assert second.navigator.current_ref() == "EN-2026-02"


def test_an_empty_database_tells_a_new_user_what_to_do(qtbot, empty_db, settings, tmp_path):
    csv = tmp_path / "roster.csv"
    csv.write_text(
        "email,name,roles,expertise,affiliations,declared_interests\n"
        "sam.lee@centre.example,Sam Lee,secretariat,,,\n"
    )
    empty_db.run(import_roster, csv)
    window = MainWindow(workspace_as(empty_db, Role.SECRETARIAT), settings)
    qtbot.addWidget(window)
    window.show()
    assert window.submissions.stack.currentWidget() is window.submissions.empty
    assert "panel-desk demo" in window.submissions.empty.text()
