"""The reviewer's "My reviews" page driven as a reviewer drives it: keys first."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from panel_desk.services.reviewing import Progress
from panel_desk.services.vocabulary import Role
from panel_desk.ui.review_editor.editor import AUTOSAVE_MS
from panel_desk.ui.review_editor.page import MyReviewsPage
from panel_desk.ui.review_editor.scale_chooser import ScaleChooser
from tests.dbstate import fingerprint
from tests.services.review_fixtures import GATEWAY, Pick, pick
from tests.ui.conftest import activate, answer_next_modal


def _press(qtbot, key: Qt.Key, text: str = "") -> None:
    """A key press where the keyboard focus is, as a person would press it."""
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    if text:
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, key)


def _open(qtbot, open_window, chosen: Pick) -> MyReviewsPage:
    """The main window as the reviewer, on the chosen assignment, focus in the list."""
    window = open_window(Role.REVIEWER, chosen.email)
    page = window.page("My reviews")
    assert window.tabs.currentWidget() is page, "a reviewer's app opens on My reviews"
    if chosen.round_ref != GATEWAY:
        qtbot.keySequence(window, QKeySequence("Ctrl+PgDown"))
    assert window.navigator.current_ref() == chosen.round_ref
    table = page.assignments.table
    table.setFocus()
    _press(qtbot, Qt.Key.Key_Home)
    model = page.assignments.model
    while model.row_at(table.currentIndex().row()).assignment_id != chosen.assignment_id:
        _press(qtbot, Qt.Key.Key_Down)
    return page


def _review_row(path: Path, assignment_id: int) -> list[tuple]:
    """The versions of a review, read from a separate connection to the database file."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT version, state, recommendation, comment, correction_reason FROM review "
            "WHERE assignment_id = ? ORDER BY version",
            (assignment_id,),
        ).fetchall()
    finally:
        connection.close()


def _scores(path: Path, assignment_id: int, version: int) -> list[tuple[str, str]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT s.value, s.comment FROM score s JOIN review r ON r.id = s.review_id "
            "JOIN criterion c ON c.id = s.criterion_id "
            "WHERE r.assignment_id = ? AND r.version = ? ORDER BY c.position",
            (assignment_id, version),
        ).fetchall()
    finally:
        connection.close()


def test_a_whole_review_is_scored_and_submitted_with_the_keyboard_only(
    qtbot, open_window, demo_db, demo_path
):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = _open(qtbot, open_window, chosen)
    assert "submitted · reviews due 18 Dec 2026" in page.assignments.progress.text()

    _press(qtbot, Qt.Key.Key_Return)  # from the list into the review
    editor = page.editor
    assert QApplication.focusWidget() is editor.cards[0].chooser
    for number, card in enumerate(editor.cards, 1):
        assert QApplication.focusWidget() is card.chooser
        _press(qtbot, Qt.Key.Key_1)  # "met"
        _press(qtbot, Qt.Key.Key_Tab)
        _press(qtbot, Qt.Key.Key_unknown, f"Evidence for criterion {number} is clear.")
        _press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.recommendation.chooser
    _press(qtbot, Qt.Key.Key_E)  # the first option starting with "e": endorse
    _press(qtbot, Qt.Key.Key_Tab)  # conditions (none needed)
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_unknown, "A strong specification.")
    _press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.certify
    _press(qtbot, Qt.Key.Key_Space)
    assert editor.certify.isChecked()

    def confirm(dialog: QWidget) -> None:
        assert dialog.objectName() == "confirmSubmit"
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # the default button: Submit

    seen = answer_next_modal(qtbot, confirm)
    qtbot.keySequence(QApplication.focusWidget(), QKeySequence("Ctrl+Return"))
    qtbot.waitUntil(lambda: bool(seen))

    versions = _review_row(demo_path, chosen.assignment_id)
    assert [(v[0], v[1], v[2], v[3]) for v in versions] == [
        (1, "submitted", "endorse", "A strong specification.")
    ]
    scores = _scores(demo_path, chosen.assignment_id, 1)
    assert len(scores) == len(editor.cards)
    assert scores[2] == ("met", "Evidence for criterion 3 is clear.")
    assert editor.form.progress == Progress.SUBMITTED
    assert not editor.submit_button.isVisible() and editor.correct_button.isVisible()
    assert editor.cards[0].comment.isReadOnly()
    row = page.assignments.model.row_of(chosen.assignment_id)
    assert page.assignments.model.row_at(row).progress == Progress.SUBMITTED


@contextmanager
def _no_modal_expected() -> Iterator[list[QWidget]]:
    """Close any modal dialog that shows up while in the block, and remember it."""
    seen: list[QWidget] = []
    timer = QTimer()
    timer.setInterval(20)

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            seen.append(modal)
            modal.close()

    timer.timeout.connect(poll)
    timer.start()
    try:
        yield seen
    finally:
        timer.stop()


def test_an_incomplete_review_is_not_submitted_and_says_what_is_missing(
    qtbot, open_window, demo_db, demo_path
):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = _open(qtbot, open_window, chosen)
    _press(qtbot, Qt.Key.Key_Return)
    editor = page.editor
    _press(qtbot, Qt.Key.Key_3)  # "not met", and no comment given
    for _ in range(3):
        _press(qtbot, Qt.Key.Key_Tab)
    qtbot.wait(AUTOSAVE_MS + 200)
    before = fingerprint(demo_path)

    with _no_modal_expected() as modals:
        qtbot.keySequence(QApplication.focusWidget(), QKeySequence("Ctrl+Return"))
        qtbot.wait(100)

    text = editor.problems.text()
    assert editor.problems.isVisible()
    criteria = len(editor.cards)
    # criteria-1 unscored, one "not met" without its comment, the recommendation, the
    # certification
    assert f"Not submitted: {criteria + 2} things to do first" in text
    assert "needs a comment saying why" in text
    assert QApplication.focusWidget() is editor.cards[0].comment  # the first problem
    assert fingerprint(demo_path) == before
    assert modals == []

    qtbot.keyClicks(editor.cards[0].comment, "The assessment strategy is missing.")
    assert "needs a comment" not in editor.problems.text()  # the list keeps up


def test_drafts_save_themselves_shortly_after_typing(qtbot, open_window, demo_db, demo_path):
    assert AUTOSAVE_MS <= 500  # "shortly": at most half a second after the last key
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = _open(qtbot, open_window, chosen)
    _press(qtbot, Qt.Key.Key_Return)
    editor = page.editor
    _press(qtbot, Qt.Key.Key_2)
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_unknown, "Typed, then the app was killed.")
    assert _review_row(demo_path, chosen.assignment_id) in ([], [(1, "draft", None, "", "")])

    qtbot.wait(AUTOSAVE_MS + 300)  # nothing else: no save button, no leaving

    assert _scores(demo_path, chosen.assignment_id, 1)[0] == (
        "met with conditions",
        "Typed, then the app was killed.",
    )
    assert editor.saved.text().startswith("Draft saved ")
    row = page.assignments.model.row_of(chosen.assignment_id)
    assert page.assignments.model.row_at(row).progress == Progress.DRAFT


def test_leaving_a_review_saves_it_at_once(qtbot, open_window, demo_db, demo_path):
    chosen = pick(demo_db, Progress.DRAFT)
    page = _open(qtbot, open_window, chosen)
    editor = page.editor
    editor.recommendation.comment.setFocus(Qt.FocusReason.TabFocusReason)
    _press(qtbot, Qt.Key.Key_unknown, " Added just before leaving.")
    page.window().close()  # long before the autosave timer fires
    comment = _review_row(demo_path, chosen.assignment_id)[0][3]
    assert comment.endswith(" Added just before leaving.")
    assert len(comment) > len(" Added just before leaving.")


def test_a_correction_starts_version_2_with_its_reason(qtbot, open_window, demo_db, demo_path):
    chosen = pick(demo_db, Progress.SUBMITTED, round_ref=GATEWAY)
    page = _open(qtbot, open_window, chosen)
    editor = page.editor
    assert editor.form.progress == Progress.SUBMITTED
    assert editor.cards[0].comment.isReadOnly()

    def give_reason(dialog: QWidget) -> None:
        assert dialog.objectName() == "correctionDialog"
        assert not dialog.ok.isEnabled()  # no reason, no correction
        qtbot.keyClicks(dialog.reason, "I scored the wrong proposal's evidence.")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    answer_next_modal(qtbot, give_reason)
    qtbot.mouseClick(editor.correct_button, Qt.MouseButton.LeftButton)

    versions = _review_row(demo_path, chosen.assignment_id)
    assert [(v[0], v[1], v[4]) for v in versions] == [
        (1, "submitted", ""),
        (2, "draft", "I scored the wrong proposal's evidence."),
    ]
    assert "Correction in progress — version 2" in editor.banner.text()
    assert not editor.cards[0].comment.isReadOnly()
    activate(qtbot, page.window())
    numeric = next(c for c in editor.cards if c.criterion.numeric)
    position = editor.cards.index(numeric)
    numeric.chooser.setFocus()
    _press(qtbot, Qt.Key.Key_1)
    _press(qtbot, Qt.Key.Key_Right)
    editor.certify.setChecked(True)
    answer_next_modal(qtbot, lambda dialog: qtbot.keyClick(dialog, Qt.Key.Key_Return))
    qtbot.keySequence(QApplication.focusWidget(), QKeySequence("Ctrl+Return"))
    qtbot.waitUntil(lambda: _review_row(demo_path, chosen.assignment_id)[-1][1] == "submitted")
    assert _scores(demo_path, chosen.assignment_id, 2)[position][0] == "2"
    assert _scores(demo_path, chosen.assignment_id, 1)[position][0] != ""


def test_declaring_a_conflict_stops_scoring(qtbot, open_window, demo_db, demo_path):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = _open(qtbot, open_window, chosen)
    editor = page.editor

    def declare(dialog: QWidget) -> None:
        assert dialog.objectName() == "conflictDialog"
        activate(qtbot, dialog)  # as the window system would: keys go to the dialog
        qtbot.keyClicks(dialog.reason, "I supervised the lead author's doctorate.")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        if dialog.isVisible():  # never leave a modal dialog open: the test would hang
            dialog.reject()

    answer_next_modal(qtbot, declare)
    qtbot.mouseClick(editor.conflict_button, Qt.MouseButton.LeftButton)

    assert editor.form.progress == Progress.CONFLICT
    assert not editor.scroll.isVisible()
    assert "declared a conflict of interest" in editor.banner.text()
    row = page.assignments.model.row_of(chosen.assignment_id)
    assert "conflict declared" in page.assignments.model.data(page.assignments.model.index(row, 2))
    assert "1 conflict declared" in page.assignments.progress.text()


def test_the_offline_form_round_trip_fills_the_editor(
    qtbot, open_window, demo_db, demo_path, tmp_path
):
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = _open(qtbot, open_window, chosen)
    path = page.export_form(tmp_path / "form.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"==+== Submission: {chosen.submission_ref}")
    at = lines.index("==+== Score: assessment", start) + 1
    while lines[at].startswith("==-=="):
        at += 1
    lines[at] = "not met"
    comment = lines.index("==+== Comment: assessment", start)
    lines.insert(comment + 1, "Assessment is left to each provider.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    message = page.import_form(path)

    assert "1 draft updated" in message
    card = next(c for c in page.editor.cards if c.criterion.key == "assessment")
    assert card.chooser.value() == "not met"
    assert card.comment.toPlainText() == "Assessment is left to each provider."
    row = page.assignments.model.row_of(chosen.assignment_id)
    assert page.assignments.model.row_at(row).progress == Progress.DRAFT

    path.write_text(path.read_text(encoding="utf-8").replace("\nnot met\n", "\nmaybe\n", 1))
    before = fingerprint(demo_path)
    shown: list[str] = []

    def read_error(dialog: QWidget) -> None:
        assert isinstance(dialog, QMessageBox)
        shown.append(f"{dialog.text()} | {dialog.informativeText()}")
        dialog.close()

    answer_next_modal(qtbot, read_error)
    assert page.import_form(path) is None
    assert "'maybe' is not on the scale met, met with conditions, not met" in shown[0]
    assert f"{path}: line " in shown[0] and "Nothing was changed" in shown[0]
    assert fingerprint(demo_path) == before


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("3", "not met"),
        ("m", "met"),
        ("mm", "met with conditions"),
        ("mmm", "met"),
        ("n", "not met"),
        ("9", ""),
    ],
)
def test_a_categorical_scale_takes_digits_and_first_letters(qtbot, keys, expected):
    chooser = ScaleChooser(["met", "met with conditions", "not met"], passing=["met"])
    qtbot.addWidget(chooser)
    for key in keys:
        qtbot.keyClicks(chooser, key)
    assert chooser.value() == expected


def test_a_numeric_scale_takes_its_numbers_and_arrows_and_clears(qtbot):
    chooser = ScaleChooser(["1", "2", "3", "4", "5"], ["Very low", "", "", "High", ""], True)
    qtbot.addWidget(chooser)
    seen: list[str] = []
    chooser.changed.connect(seen.append)
    qtbot.keyClicks(chooser, "4")
    assert chooser.choice.text() == "4 · High"
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Home):
        qtbot.keyClick(chooser, key)
    qtbot.keyClick(chooser, Qt.Key.Key_Delete)
    assert seen == ["4", "5", "4", "1", ""]
    chooser.set_read_only(True)
    qtbot.keyClicks(chooser, "3")
    qtbot.mouseClick(chooser.buttons[2], Qt.MouseButton.LeftButton)
    assert chooser.value() == ""


def test_someone_who_never_pauses_is_saved_all_the_same(
    qtbot, open_window, demo_db, demo_path, monkeypatch
):
    from panel_desk.ui.review_editor import editor as editor_module

    monkeypatch.setattr(editor_module, "MAX_UNSAVED_MS", 300)
    chosen = pick(demo_db, Progress.DRAFT)
    page = _open(qtbot, open_window, chosen)
    comment = page.editor.recommendation.comment
    comment.setFocus(Qt.FocusReason.TabFocusReason)

    def saved_comment() -> str:
        return _review_row(demo_path, chosen.assignment_id)[0][3] or ""

    # Keep typing, never pausing long enough for the pause timer, until a save lands or
    # ten seconds pass: on a busy machine the timers run late, but they must run.
    deadline = time.monotonic() + 10
    typed = ""
    while "Typing" not in saved_comment() and time.monotonic() < deadline:
        word = " on" if typed else "Typing"
        _press(qtbot, Qt.Key.Key_unknown, word)
        typed += word
        qtbot.wait(AUTOSAVE_MS // 4)
    assert "Typing" in saved_comment(), "nothing was saved during nonstop typing"
    assert comment.hasFocus()  # still typing: the save came from the cap, not a pause
