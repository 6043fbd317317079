"""Organisations… on the Conflicts page: the alias table, driven as the secretariat would.

An alias joining two organisations makes the round's affiliation flags follow it at once
(and audited); removing it ends them; a refused alias says why and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy import select

from panel_desk.services import conflicts
from panel_desk.services.database import Database
from panel_desk.services.rounds import round_by_ref
from panel_desk.services.vocabulary import Role
from panel_desk.store.models import AuditEvent
from panel_desk.ui.conflicts.organisations import OrganisationsDialog
from tests.dbstate import fingerprint
from tests.ui.conftest import answer_next_modal, workspace_as
from tests.ui.test_conflicts_page import _open

ROUND = "GW-2026-01"
TARGET = "Harrowgate Teaching Hospitals NHS Foundation Trust"
MERGED = "Calderbrook Community Health NHS Trust"


def joined_flags(db: Database) -> list[conflicts.FlagView]:
    """The round's flags that hold only because an alias joined two organisations."""

    def read(session):
        flags = conflicts.list_flags(session, round_by_ref(session, ROUND).id)
        return [
            f
            for f in flags
            if any("alias" in m.get("joined_by", "") for m in f.evidence.get("matches", []))
        ]

    return db.read(read)


def actions(db: Database) -> list[str]:
    return db.read(lambda s: list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id))))


def click_row(qtbot, dialog: OrganisationsDialog, name: str) -> None:
    qtbot.keyClicks(dialog.filter, name)
    rect = dialog.table.visualRect(dialog.model.index(0, 0))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.chosen() is not None and dialog.chosen().name == name
    dialog.filter.clear()


def answer_modal_named(qtbot, name: str, handle: Callable[[QWidget], None]) -> list[QWidget]:
    """Like answer_next_modal, for the next modal dialog with this object name (another
    modal, the Organisations dialog itself, is open meanwhile)."""
    seen: list[QWidget] = []

    def poll() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or modal.objectName() != name:
            QTimer.singleShot(20, poll)
            return
        seen.append(modal)
        handle(modal)

    QTimer.singleShot(20, poll)
    return seen


def test_an_alias_added_from_the_conflicts_page_makes_its_flags_at_once(
    qtbot, open_window, demo_db: Database
) -> None:
    window = open_window()
    page = _open(qtbot, window, ROUND)
    assert joined_flags(demo_db) == []
    before = len(actions(demo_db))

    def edit(dialog: QWidget) -> None:
        assert isinstance(dialog, OrganisationsDialog) and dialog.round_ref == ROUND
        click_row(qtbot, dialog, TARGET)
        assert not dialog.add.isEnabled(), "nothing to add yet"
        qtbot.keyClicks(dialog.alias, MERGED)
        qtbot.mouseClick(dialog.add, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "checked again" in dialog.outcome.text())
        assert f"now an alias of {TARGET}" in dialog.outcome.text()
        assert dialog.chosen().name == TARGET
        assert [dialog.alias_list.item(0).text()] == [f"Another name: {MERGED}"]
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)

    seen = answer_next_modal(qtbot, edit)
    qtbot.mouseClick(page.organisations, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen))

    made = joined_flags(demo_db)
    assert made and {f.rule for f in made} <= {"affiliation", "declared_interest"}
    assert all(f.blocking for f in made)
    assert actions(demo_db)[before:][:2] == ["organisation.alias_added", "conflicts.detected"]
    page.show_filtered(made[0].person_email)
    shown = [page.model.row_at(r) for r in range(page.model.rowCount())]
    assert made[0].id in {f.id for f in shown}, "the page shows the new flag"
    explained = next(f.explanation for f in shown if f.id == made[0].id)
    assert "matched by alias" in explained


def test_a_removed_alias_ends_its_flags_and_a_refused_one_changes_nothing(
    qtbot, demo_db: Database
) -> None:
    dialog = OrganisationsDialog(workspace_as(demo_db, Role.SECRETARIAT), ROUND)
    qtbot.addWidget(dialog)
    dialog.show()
    click_row(qtbot, dialog, TARGET)
    qtbot.keyClicks(dialog.alias, MERGED)
    qtbot.keyClick(dialog.alias, Qt.Key.Key_Return)  # Add alias is the default button
    qtbot.waitUntil(lambda: "checked again" in dialog.outcome.text())
    assert joined_flags(demo_db)

    # A shared mail domain is refused: a dialog says why; nothing changed.
    unchanged = fingerprint(demo_db)
    dialog.kind.setFocus()
    qtbot.keyClick(dialog.kind, Qt.Key.Key_Down)
    assert dialog.kind.currentText() == "Mail domain"
    qtbot.keyClicks(dialog.alias, "gmail.com")
    told: list[str] = []

    def dismiss(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        told.append(box.text() + " " + box.informativeText())
        box.accept()

    seen = answer_modal_named(qtbot, "badInputDialog", dismiss)
    qtbot.mouseClick(dialog.add, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen))
    assert "shared mail domain" in told[0] and "Nothing was changed" in told[0]
    assert fingerprint(demo_db) == unchanged
    assert dialog.alias.text() == "gmail.com", "what was typed stays, to be corrected"

    # Removing the alias: its flags lapse in the same transaction.
    dialog.alias.clear()
    item = dialog.alias_list.item(0)
    rect = dialog.alias_list.visualItemRect(item)
    qtbot.mouseClick(dialog.alias_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.remove.isEnabled()
    qtbot.mouseClick(dialog.remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no longer an alias" in dialog.outcome.text())
    assert "lapsed" in dialog.outcome.text() and " 0 lapsed" not in dialog.outcome.text()
    assert joined_flags(demo_db) == []
    assert dialog.alias_list.count() == 0
    assert actions(demo_db)[-2:] == ["organisation.alias_removed", "conflicts.detected"]
