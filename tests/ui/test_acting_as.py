"""Choosing who is working, by keyboard, when the app starts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from panel_desk.services.roster import PersonSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.acting_as import ActingAsDialog

PEOPLE = [
    PersonSummary("amara.okafor@centre.example", "Amara Okafor", ("secretariat",)),
    PersonSummary("ben.hughes@kingsbridge.ac.uk", "Ben Hughes", ("moderator", "reviewer")),
    PersonSummary("chloe.patel@eastmere.ac.uk", "Chloe Patel", ("eag",)),
]


def test_type_to_filter_arrow_to_choose_enter_to_start(qtbot):
    dialog = ActingAsDialog(PEOPLE)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.keyClicks(dialog.filter, "hughes")
    assert dialog.chosen_person() == PEOPLE[1]
    assert [dialog.role.itemData(i) for i in range(dialog.role.count())] == [
        "moderator",
        "reviewer",
    ]
    dialog.role.setFocus()
    qtbot.keyClick(dialog.role, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Return)

    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.chosen_role() == Role.REVIEWER


def test_no_match_disables_start(qtbot):
    dialog = ActingAsDialog(PEOPLE)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.filter, "nobody of that name")
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Return)
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_last_choice_is_offered_first(qtbot):
    dialog = ActingAsDialog(PEOPLE, last_email=PEOPLE[1].email, last_role="reviewer")
    qtbot.addWidget(dialog)
    assert dialog.chosen_person() == PEOPLE[1]
    assert dialog.chosen_role() == Role.REVIEWER


def test_down_arrow_in_the_filter_moves_through_the_list(qtbot):
    dialog = ActingAsDialog(PEOPLE)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.filter.setFocus()
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Down)
    assert dialog.chosen_person() == PEOPLE[1]
