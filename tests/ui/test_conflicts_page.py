"""The Conflicts page and the conflicts in the detail pane, driven as a secretariat would."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QWidget

from panel_desk.services import submission_views
from panel_desk.services.roster import list_people
from panel_desk.services.vocabulary import Role
from panel_desk.ui.conflicts.page import ConflictsPage
from panel_desk.ui.main_window import MainWindow
from tests.ui.conftest import answer_next_modal


def go_to_round(window: MainWindow, ref: str) -> None:
    for _ in range(window.navigator.rounds.rowCount()):
        if window.navigator.current_ref() == ref:
            return
        window.navigator.step(1)
    assert window.navigator.current_ref() == ref


def _open(qtbot, window: MainWindow, ref: str = "GW-2026-01") -> ConflictsPage:
    go_to_round(window, ref)
    page = window.page("Conflicts")
    qtbot.mouseClick(
        window.tabs.tabBar(),
        Qt.MouseButton.LeftButton,
        pos=window.tabs.tabBar().tabRect(window.tabs.indexOf(page)).center(),
    )
    assert window.tabs.currentWidget() is page
    return page


def _rows(page: ConflictsPage) -> list:
    return [page.model.row_at(r) for r in range(page.model.rowCount())]


def _choose(qtbot, page: ConflictsPage, predicate) -> None:
    row = next(n for n, f in enumerate(_rows(page)) if predicate(f))
    page.table.scrollTo(page.model.index(row, 1))
    rect = page.table.visualRect(page.model.index(row, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert predicate(page.chosen())


def _decide(qtbot, page: ConflictsPage, button: str, rationale: str | None) -> list[QWidget]:
    def answer(dialog: QWidget) -> None:
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if rationale is not None:
            assert not ok.isEnabled(), "no decision without a rationale"
            qtbot.keyClicks(dialog.rationale, rationale)
        assert ok.isEnabled()
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    seen = answer_next_modal(qtbot, answer)
    qtbot.mouseClick(page.buttons[button], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen))
    return seen


def test_only_the_secretariat_has_the_conflicts_page(open_window) -> None:
    assert "Conflicts" in [type(p).title for p in open_window(Role.SECRETARIAT).pages]
    assert "Conflicts" not in [type(p).title for p in open_window(Role.REVIEWER).pages]


def test_flags_show_rule_and_evidence_and_filter_by_person_or_submission(
    qtbot, open_window
) -> None:
    page = _open(qtbot, open_window())
    flags = _rows(page)

    assert flags and all(f.blocking for f in flags), "blocking flags first, by default"
    assert {f.rule for f in flags} >= {"affiliation", "named", "mail_domain"}
    assert "Rule 1 · Affiliation" in page.detail.toPlainText()
    assert "Evidence:" in page.detail.toPlainText()

    person = flags[0].person_name
    qtbot.keyClicks(page.filter, person)
    assert {f.person_name for f in _rows(page)} == {person}
    page.filter.clear()
    qtbot.keyClicks(page.filter, "GW-03")
    assert {f.submission_ref for f in _rows(page)} == {"GW-03"}
    assert page.count.text().endswith(f"of {page.model.total} flags")


def test_a_soft_flag_managed_and_a_hard_one_cleared_by_two(qtbot, open_window, demo_db) -> None:
    window = open_window()
    page = _open(qtbot, window, "PA-2026-03")
    _choose(qtbot, page, lambda f: f.severity == "soft" and f.status == "open")
    soft = page.chosen()
    assert not page.buttons["second"].isEnabled()

    _decide(qtbot, page, "manage", "Different faculty; will not read the adviser's part.")

    page.state.setCurrentIndex(page.state.count() - 1)  # every flag
    managed = next(f for f in _rows(page) if f.id == soft.id)
    assert managed.status == "managed" and managed.rationale.startswith("Different faculty")

    page.state.setCurrentIndex(1)  # needing a decision
    _choose(qtbot, page, lambda f: f.severity == "hard")
    hard = page.chosen()
    assert not page.buttons["manage"].isEnabled(), "hard flags are never managed"
    _decide(qtbot, page, "clear", "The affiliation ended years ago.")
    page.state.setCurrentIndex(2)  # waiting for a second person
    assert hard.id in [f.id for f in _rows(page)]
    _choose(qtbot, page, lambda f: f.id == hard.id)
    assert not page.buttons["second"].isEnabled(), "nobody seconds their own clearance"

    other = next(
        p
        for p in demo_db.read(list_people)
        if Role.SECRETARIAT in p.roles and p.email != window.workspace.person.email
    )
    second_window = open_window(Role.SECRETARIAT, other.email)
    second_page = _open(qtbot, second_window, "PA-2026-03")
    second_page.state.setCurrentIndex(2)
    _choose(qtbot, second_page, lambda f: f.id == hard.id)
    assert second_page.buttons["second"].isEnabled()
    _decide(qtbot, second_page, "second", None)

    second_page.state.setCurrentIndex(second_page.state.count() - 1)
    cleared = next(f for f in _rows(second_page) if f.id == hard.id)
    assert cleared.status == "cleared" and cleared.seconded_by == other.email


def test_the_detail_pane_shows_conflicts_to_the_secretariat_only(qtbot, open_window, demo_db):
    window = open_window()
    text = window.detail.toPlainText()
    assert "Conflicts of interest" in text and "Rule 1 · Affiliation" in text

    flagged = demo_db.read(submission_views.submission_detail, 1).conflicts[0]
    reviewer = submission_views.Viewer(flagged.person_email, Role.REVIEWER)
    listed = demo_db.read(submission_views.list_submissions, 1, reviewer)
    assert flagged.submission_ref not in {row.ref for row in listed}
    for row in listed:
        shown = demo_db.read(submission_views.submission_detail, row.id, reviewer)
        assert shown.conflicts == ()


def test_checking_again_reports_what_changed(qtbot, open_window) -> None:
    window = open_window()
    page = _open(qtbot, window)
    before = page.model.total

    with qtbot.waitSignal(page.status, timeout=10_000) as told:
        qtbot.mouseClick(page.check, Qt.MouseButton.LeftButton)

    assert "0 new, 0 reopened, 0 lapsed" in told.args[0]
    assert page.model.total == before


def test_on_a_big_round_the_filter_asks_the_database(qtbot, open_window, monkeypatch) -> None:
    from panel_desk.ui.conflicts import page as page_module

    monkeypatch.setattr(page_module, "HELD", 10)
    window = open_window()
    page = _open(qtbot, window)
    page.state.setCurrentIndex(page.state.count() - 1)  # every flag
    assert page.model.total == 10 and "shown of" in page.count.text()
    everyone = {f.person_name for f in _rows(page)}
    wanted = "GW-16"

    qtbot.keyClicks(page.filter, wanted)
    qtbot.waitUntil(lambda: {f.submission_ref for f in _rows(page)} == {wanted})

    assert page.model.total <= 10 and everyone  # read again, for GW-16 only
    assert page.count.text().endswith("flags") and "shown of" in page.count.text()
