"""Edit ▸ Undo and Redo where users edit: a decision on a conflict flag (taken back by a
new audited decision, history kept) and a score chosen in the review editor. Each test
makes the edit as a user does, presses Ctrl+Z, sees it reverted, and redoes it with
Ctrl+Shift+Z or Ctrl+Y."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from panel_desk.services.reviewing import Progress
from panel_desk.store.models import AuditEvent
from tests.services.review_fixtures import pick
from tests.ui.conftest import activate
from tests.ui.test_conflicts_page import _choose, _decide, _open, _rows
from tests.ui.test_review_editor import _open as open_review
from tests.ui.test_review_editor import _press, _scores

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
REDO = {"Ctrl+Shift+Z": (Qt.Key.Key_Z, CTRL | SHIFT), "Ctrl+Y": (Qt.Key.Key_Y, CTRL)}


def _key(qtbot, keys: tuple[Qt.Key, Qt.KeyboardModifier]) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, *keys)


@pytest.mark.parametrize("redo", list(REDO))
def test_a_decision_on_a_flag_is_undone_and_redone_with_its_history_kept(
    qtbot, open_window, demo_db, redo: str
) -> None:
    window = open_window()
    page = _open(qtbot, window, "PA-2026-03")
    _choose(qtbot, page, lambda f: f.severity == "soft" and f.status == "open")
    soft = page.chosen()
    _decide(qtbot, page, "manage", "Different faculty; will not read the adviser's part.")
    page.state.setCurrentIndex(page.state.count() - 1)  # every flag

    def status() -> str:
        return next(f for f in _rows(page) if f.id == soft.id).status

    assert status() == "managed"
    assert window.undo.undo_action.text().startswith("&Undo manage the flag on")
    activate(qtbot, window)
    page.table.setFocus()

    _key(qtbot, (Qt.Key.Key_Z, CTRL))

    assert status() == "open" and next(f for f in _rows(page) if f.id == soft.id).blocking
    _key(qtbot, REDO[redo])
    flag = next(f for f in _rows(page) if f.id == soft.id)
    assert flag.status == "managed" and flag.rationale.startswith("Different faculty")
    actions = demo_db.read(
        lambda s: s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_ref.like(f"PA-2026-03/{soft.submission_ref}/%"))
            .order_by(AuditEvent.seq)
        ).all()
    )
    assert actions[-3:] == ["conflict.decided", "conflict.reverted", "conflict.reverted"]


@pytest.mark.parametrize("redo", list(REDO))
def test_a_chosen_score_is_undone_and_redone(
    qtbot, open_window, demo_db, demo_path, redo: str
) -> None:
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = open_review(qtbot, open_window, chosen)
    _press(qtbot, Qt.Key.Key_Return)  # from the list into the review
    editor = page.editor
    first, second = editor.cards[0].chooser, editor.cards[1].chooser
    _press(qtbot, Qt.Key.Key_1)  # "met"
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_3)  # "not met" on the second
    assert (first.value(), second.value()) == ("met", "not met")

    _key(qtbot, (Qt.Key.Key_Z, CTRL))

    assert (first.value(), second.value()) == ("met", "")
    _key(qtbot, (Qt.Key.Key_Z, CTRL))
    assert (first.value(), second.value()) == ("", "")
    assert QApplication.focusWidget() is first, "the undone scale has the focus"
    _key(qtbot, REDO[redo])
    assert (first.value(), second.value()) == ("met", "")
    editor.save_now()
    assert _scores(demo_path, chosen.assignment_id, 1) == [("met", "")], "saved as shown"


def test_a_comment_keeps_its_own_undo(qtbot, open_window, demo_db) -> None:
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = open_review(qtbot, open_window, chosen)
    _press(qtbot, Qt.Key.Key_Return)
    editor = page.editor
    _press(qtbot, Qt.Key.Key_1)
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_unknown, "Clear evidence.")

    _key(qtbot, (Qt.Key.Key_Z, CTRL))

    assert editor.cards[0].comment.toPlainText() != "Clear evidence."
    assert editor.cards[0].chooser.value() == "met", "Ctrl+Z in a comment undoes typing"
