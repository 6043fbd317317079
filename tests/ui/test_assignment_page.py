"""The Assignment page driven as a secretariat would: assign teams, change them by hand, see
a refusal explained by its rule and evidence, undo and redo."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from panel_desk.services import assignment_views, conflicts, rounds
from panel_desk.ui.assignment.page import AssignmentPage
from panel_desk.ui.main_window import MainWindow
from tests.ui.test_conflicts_page import go_to_round

ROUND = "PA-2026-03"  # screened, with conflicts checked, nobody assigned yet


def _open(qtbot, window: MainWindow) -> AssignmentPage:
    go_to_round(window, ROUND)
    page = window.page("Assignment")
    qtbot.mouseClick(
        window.tabs.tabBar(),
        Qt.MouseButton.LeftButton,
        pos=window.tabs.tabBar().tabRect(window.tabs.indexOf(page)).center(),
    )
    assert window.tabs.currentWidget() is page
    return page


def _teams(page: AssignmentPage) -> dict[str, set[str]]:
    assert page.overview is not None
    return {r.ref: {m.email for m in r.members} for r in page.overview.rows if r.members}


def _when_modal(qtbot, name: str, handle: Callable[[QWidget], None]) -> list[QWidget]:
    """Call `handle` with the modal dialog called `name` once it shows (it must close it)."""
    seen: list[QWidget] = []

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or modal.objectName() != name or modal in seen:
            QTimer.singleShot(20, poll)
            return
        seen.append(modal)
        handle(modal)

    QTimer.singleShot(20, poll)
    return seen


def _choose_submission(qtbot, page: AssignmentPage, ref: str) -> None:
    row = next(n for n in range(page.teams.rowCount()) if page.teams.row_at(n).ref == ref)
    page.table.scrollTo(page.teams.index(row, 0))
    rect = page.table.visualRect(page.teams.index(row, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page._chosen is not None and page._chosen.ref == ref


def _add(qtbot, page: AssignmentPage, email: str, then: Callable[[QWidget], None] | None = None):
    """Add `email` to the chosen submission's team through the dialog; `then` handles the
    refusal that follows, if one is expected (the returned list then holds it)."""
    refusals: list[QWidget] = []

    def read_refusal(box: QWidget) -> None:
        refusals.append(box)
        assert then is not None
        then(box)

    def pick(dialog: QWidget) -> None:
        dialog.choose(email)
        assert dialog.chosen().email == email
        if then is not None:
            _when_modal(qtbot, "conflictRefusalDialog", read_refusal)
        dialog.accept()

    seen = _when_modal(qtbot, "candidateDialog", pick)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen))
    return refusals


def test_assign_teams_then_undo_and_redo(qtbot, open_window) -> None:
    window = open_window()
    page = _open(qtbot, window)
    assert _teams(page) == {}

    with qtbot.waitSignal(page.status, timeout=20_000):
        qtbot.mouseClick(page.assign, Qt.MouseButton.LeftButton)

    teams = _teams(page)
    assert len(teams) >= 8 and all(len(t) == 3 for t in teams.values())
    assert "with a team covering the mix" in page.count.text()
    loads = {page.loads.row_at(n).load for n in range(page.loads.rowCount())}
    assert max(loads) >= 1
    covered = [page.teams.row_at(n) for n in range(page.teams.rowCount())]
    assert any(r.covered for r in covered)

    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _teams(page) == {}
    qtbot.keyClick(
        page.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert _teams(page) == teams


def test_a_refused_manual_change_shows_the_rule_and_evidence(qtbot, open_window, demo_db) -> None:
    def blocking(session):
        round_ = rounds.round_by_ref(session, ROUND)
        return next(
            f
            for f in conflicts.list_flags(session, round_.id)
            if f.blocking and f.rule == "affiliation"
        )

    flag = demo_db.read(blocking)
    window = open_window()
    page = _open(qtbot, window)
    _choose_submission(qtbot, page, flag.submission_ref)
    told: list[str] = []

    def read_and_close(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        told.append(box.text() + "\n" + box.informativeText())
        box.accept()

    refusals = _add(qtbot, page, flag.person_email, then=read_and_close)
    qtbot.waitUntil(lambda: bool(refusals))

    text = told[0]
    assert f"cannot review {flag.submission_ref}" in text
    assert "Rule 1 · Affiliation" in text and "(hard" in text
    assert flag.evidence["matches"][0]["organisation"] in text
    assert flag.person_email not in _teams(page).get(flag.submission_ref, set())
    assert page.undo_stack.count() == 0, "a refusal is not something to undo"


def test_a_reviewer_added_and_removed_by_hand_and_undone(qtbot, open_window) -> None:
    window = open_window()
    page = _open(qtbot, window)
    ref = next(r.ref for r in page.overview.rows if r.ready)
    _choose_submission(qtbot, page, ref)
    candidate = next(
        c
        for c in window.workspace.read(
            assignment_views.candidates_for,
            page.summary.id,
            page._chosen.submission_id,
        )
        if not c.conflict
    )

    _add(qtbot, page, candidate.email)
    qtbot.waitUntil(lambda: candidate.email in _teams(page).get(ref, set()))

    page.members.setCurrentRow(0)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert candidate.email not in _teams(page).get(ref, set())

    page.undo_action.trigger()
    assert _teams(page)[ref] == {candidate.email}
    page.undo_action.trigger()
    assert ref not in _teams(page)
    assert page.undo_stack.count() == 2 and page.undo_stack.index() == 0
