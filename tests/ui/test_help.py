"""Help: the keyboard shortcuts listed from what is registered (the pages' own too, and a
shortcut added later), the About box with the version, the icon at every density; and
Edit ▸ Undo/Redo acting on the current page's edits with Ctrl+Z and Ctrl+Shift+Z."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence

from panel_desk import __version__
from panel_desk.paths import resources_dir
from panel_desk.services import assignment_views
from panel_desk.services.vocabulary import Role
from panel_desk.ui.app import application_icon
from panel_desk.ui.help.about import about_text
from panel_desk.ui.help.shortcuts import EVERYWHERE, ShortcutsDialog
from panel_desk.ui.review_editor.cards import CriterionCard
from tests.ui.conftest import activate, answer_next_modal
from tests.ui.test_assignment_page import _add, _choose_submission, _open, _teams


def _shortcuts_dialog(qtbot, window) -> ShortcutsDialog:
    qtbot.keySequence(window, QKeySequence("F1"))
    qtbot.waitUntil(lambda: window.findChild(ShortcutsDialog) is not None)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_f1_lists_every_shortcut_registered_including_the_pages_own(qtbot, open_window) -> None:
    window = open_window()
    page = window.page("Conflicts")
    later = QAction("Something added later", page)
    later.setShortcut(QKeySequence("Ctrl+Alt+L"))
    page.addAction(later)

    dialog = _shortcuts_dialog(qtbot, window)
    listed = dialog.listed()

    assert (EVERYWHERE, "Settings…", "Ctrl+,") in listed
    assert (EVERYWHERE, "Undo the last edit here", "Ctrl+Z") in listed
    assert (EVERYWHERE, "Redo what was undone", "Ctrl+Shift+Z or Ctrl+Y") in listed
    assert ("Moderation", "Save decisions", "Ctrl+S") in listed
    assert ("Moderation", "Jump to the next item to moderate", "Ctrl+J") in listed
    assert ("Moderation", "Record the moderated value", "Ctrl+Return or Ctrl+Enter") in listed
    assert ("Ranking", "Move the cut-line…", "Ctrl+L") in listed
    assert ("Assignment", "Add a reviewer to the team…", "Ins") in listed
    assert ("Conflicts", "Something added later", "Ctrl+Alt+L") in listed
    assert all(does for _, does, _ in listed), "every shortcut says what it does"
    pairs = [(where, keys) for where, _, keys in listed]
    assert len(pairs) == len(set(pairs)), "each is listed once"

    qtbot.keyClicks(dialog.filter, "cut-line")
    assert {does for _, does, _ in dialog.listed()} == {"Move the cut-line…", "Go to the cut-line"}
    dialog.close()


def test_every_listed_window_shortcut_is_the_one_that_works(qtbot, open_window) -> None:
    window = open_window()
    dialog = _shortcuts_dialog(qtbot, window)
    keys = {does: keys for where, does, keys in dialog.listed() if where == EVERYWHERE}
    dialog.close()
    moderation = window.pages.index(window.page("Moderation"))
    qtbot.keySequence(window, QKeySequence(keys["Show Moderation"]))
    assert window.tabs.currentIndex() == moderation


def test_about_names_the_version(qtbot, open_window) -> None:
    window = open_window()
    assert __version__ in about_text("x.sqlite", window.settings)
    texts: list[str] = []

    def read(box) -> None:
        texts.append(box.text())
        box.accept()

    answer_next_modal(qtbot, read)
    about = next(a for a in window.actions() if a.text() == "&About panel_desk")
    about.trigger()
    qtbot.waitUntil(lambda: bool(texts))
    assert f"panel_desk {__version__}" in texts[0]
    assert str(window.workspace.db.display_name) in texts[0]


def test_the_icon_is_sharp_at_every_density() -> None:
    icon = application_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 32, 48, 64, 128, 256, 512} <= sizes
    small = (
        icon.pixmap(QSize(16, 16))
        .toImage()
        .convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    )
    drawn = QImage(str(resources_dir() / "icons" / "panel-desk-16.png"))
    assert small == drawn.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied), (
        "the hand-tuned 16 px"
    )
    assert icon.pixmap(QSize(72, 72)).size() == QSize(72, 72)  # 128 scaled down, not 64 up


def test_ctrl_z_and_ctrl_shift_z_undo_and_redo_a_team_change(qtbot, open_window) -> None:
    window = open_window()
    page = _open(qtbot, window)
    ref = next(r.ref for r in page.overview.rows if r.ready)
    _choose_submission(qtbot, page, ref)
    candidate = next(
        c
        for c in window.workspace.read(
            assignment_views.candidates_for, page.summary.id, page._chosen.submission_id
        )
        if not c.conflict
    )
    _add(qtbot, page, candidate.email)
    qtbot.waitUntil(lambda: candidate.email in _teams(page).get(ref, set()))
    assert window.undo.undo_action.isEnabled()
    assert "Undo" in window.undo.undo_action.text()

    activate(qtbot, window)  # back from the candidate dialog
    page.table.setFocus()
    qtbot.keySequence(page.table, QKeySequence("Ctrl+Z"))
    assert candidate.email not in _teams(page).get(ref, set())
    assert candidate.email not in _read_team(window, page, ref), "undone in the database"

    qtbot.keySequence(page.table, QKeySequence("Ctrl+Shift+Z"))
    assert candidate.email in _teams(page)[ref]
    assert candidate.email in _read_team(window, page, ref)

    # On another page, Ctrl+Z is that page's: the team change stays.
    window.tabs.setCurrentWidget(window.page("Moderation"))
    assert not window.undo.undo_action.isEnabled()
    qtbot.keySequence(window, QKeySequence("Ctrl+Z"))
    assert candidate.email in _read_team(window, page, ref)


def _read_team(window, page, ref: str) -> set[str]:
    overview = window.workspace.read(assignment_views.assignment_overview, page.summary.id)
    return {m.email for r in overview.rows if r.ref == ref for m in r.members}


def test_the_edit_menu_holds_undo_and_redo_and_no_page_keeps_its_own_keys(open_window) -> None:
    window = open_window()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert menu.actions() == [window.undo.undo_action, window.undo.redo_action]
    assert window.undo.undo_action.shortcuts() == [QKeySequence("Ctrl+Z")]
    for page in window.pages:  # two owners of one key would make it fire for neither
        for action in page.findChildren(QAction):
            assert QKeySequence("Ctrl+Z") not in action.shortcuts()
            assert QKeySequence("Ctrl+Shift+Z") not in action.shortcuts()


def test_criteria_guidance_is_the_tooltip_in_the_matrix_and_the_review_form(
    qtbot, open_window
) -> None:
    window = open_window()
    page = window.page("Moderation")
    window.tabs.setCurrentWidget(page)
    model = page.detail.matrix.model()
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    row = model.detail.rows[0]
    assert row.guidance, "the demo's criteria carry guidance"
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert escape(row.label) in tip and escape(row.guidance) in tip

    reviewer = open_window(Role.REVIEWER, "idris.quinn@lowtherhospice.org.uk")
    qtbot.waitUntil(lambda: bool(reviewer.page("My reviews").findChildren(CriterionCard)))
    cards = reviewer.page("My reviews").findChildren(CriterionCard)
    guided = [c for c in cards if c.criterion.guidance]
    assert guided
    for card in guided:
        assert escape(card.criterion.guidance) in card.chooser.toolTip()
