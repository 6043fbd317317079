"""The Audit page and the History section, driven as a user would: tabs, choices, typing."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from panel_desk.services import audit_views, submission_views
from panel_desk.services.submission_views import Viewer
from panel_desk.services.vocabulary import Role
from panel_desk.ui.audit.page import AuditPage
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.submissions.detail import render


def _open_audit(qtbot, window: MainWindow) -> AuditPage:
    page = window.page("Audit")
    index = window.tabs.indexOf(page)
    qtbot.mouseClick(
        window.tabs.tabBar(),
        Qt.MouseButton.LeftButton,
        pos=window.tabs.tabBar().tabRect(index).center(),
    )
    assert window.tabs.currentWidget() is page
    return page


def _subjects(page: AuditPage) -> list[str]:
    return [page.model.event_at(r).subject_ref for r in range(page.model.rowCount())]


def test_the_secretariat_and_the_eag_see_the_audit_page_and_reviewers_do_not(open_window):
    assert "Audit" in [type(p).title for p in open_window(Role.SECRETARIAT).pages]
    assert "Audit" in [type(p).title for p in open_window(Role.EAG).pages]
    assert "Audit" not in [type(p).title for p in open_window(Role.REVIEWER).pages]


def test_the_page_shows_the_verdict_and_filters_by_submission_and_person(qtbot, open_window):
    window = open_window()
    page = _open_audit(qtbot, window)

    assert "Audit trail intact" in page.verdict.text()
    assert "sealed by this machine" in page.verdict.text()
    assert page.model.rowCount() > 20
    assert all(s == "GW-2026-01" or s.startswith("GW-2026-01/") for s in _subjects(page))

    page.submission.setFocus()
    page.choose(submission="GW-2026-01/GW-04")
    assert set(_subjects(page)) == {"GW-2026-01/GW-04"}
    assert [page.model.event_at(r).action for r in range(page.model.rowCount())] == [
        "submission.resubmitted",
        "screening.gaps_returned",
        "submission.received",
    ]
    assert (
        "Event" in page.detail.toPlainText()
        and "submission.resubmitted" in page.detail.toPlainText()
    )

    page.submission.setCurrentIndex(0)
    page.choose(scope="all")
    assert not page.submission.isEnabled()
    people = [page.person.itemText(i) for i in range(1, page.person.count())]
    assert people, "the roster import names people"
    page.choose(person=people[0])
    shown = [page.model.event_at(r) for r in range(page.model.rowCount())]
    expected = page.workspace.read(audit_views.list_events, person=people[0]).events
    assert [e.seq for e in shown] == [e.seq for e in expected]
    assert ("person.added", people[0]) in [(e.action, e.subject_ref) for e in shown]

    page.person.setCurrentIndex(0)
    qtbot.keyClicks(page.search, "gaps_returned")
    assert page.model.rowCount() >= 2
    assert all(
        page.model.event_at(r).action == "screening.gaps_returned"
        for r in range(page.model.rowCount())
    )
    assert page.count.text().startswith(f"{page.model.rowCount()} events")


def test_a_tampered_trail_turns_the_verdict_red_on_refresh(qtbot, open_window, demo_path):
    window = open_window()
    page = _open_audit(qtbot, window)
    page.choose(scope="all")
    connection = sqlite3.connect(demo_path)
    connection.execute("UPDATE audit_event SET actor = 'intruder' WHERE seq = 12")
    connection.commit()
    connection.close()

    qtbot.keyClick(window, Qt.Key.Key_F5)

    assert "Audit trail broken at event 12" in page.verdict.text()
    assert page.scope_value() == "all", "a refresh keeps what the user chose"
    row = page.model.row_of(12)
    colour = page.model.data(page.model.index(row, 0), Qt.ItemDataRole.ForegroundRole)
    assert colour is not None and colour.color().name() == "#b3261e"


def test_the_detail_pane_shows_a_submissions_history_but_not_to_reviewers(
    qtbot, open_window, demo_path
):
    window = open_window()
    window.submissions.filter.setText("GW-04")

    text = window.detail.toPlainText()
    assert "History" in text
    assert text.index("Submission received") < text.index("Submission resubmitted")

    connection = sqlite3.connect(demo_path)
    email, submission_id = connection.execute(
        "SELECT person.email, assignment.submission_id FROM assignment "
        "JOIN person ON person.id = assignment.person_id WHERE assignment.state = 'active' "
        "LIMIT 1"
    ).fetchone()
    connection.close()
    for role, shown in ((Role.REVIEWER, False), (Role.SECRETARIAT, True)):
        detail = window.workspace.read(
            submission_views.submission_detail, submission_id, Viewer(email, role)
        )
        assert bool(detail.history) is shown
        assert ("<h2>History</h2>" in render(detail)) is shown
