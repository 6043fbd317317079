"""File ▸ Back up… and File ▸ Restore from backup…, driven through their dialogs.

A backup taken from the window, a change made afterwards, the backup restored (checked,
confirmed, the window asked to reopen the database): the change is gone and the trail
intact. A damaged backup file is refused with a dialog and the database stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox, QWidget
from shiboken6 import isValid

from panel_desk.services import audit, organisations
from panel_desk.services.database import Database, open_database
from tests.dbstate import fingerprint


def answer_modal(
    qtbot, wanted: Callable[[QWidget], bool], handle: Callable[[QWidget], None]
) -> list[QWidget]:
    """Call `handle` with the next modal dialog `wanted` accepts, once it is shown (and
    again, should that same dialog still be open a moment later: a click before it is ready
    is lost). Once it has closed the poll stops, so it never answers a later step's dialog."""
    seen: list[QWidget] = []

    def poll() -> None:
        if seen and not (isValid(seen[0]) and seen[0].isVisible()):
            return  # its dialog has closed: never answer a later one
        modal = QApplication.activeModalWidget()
        if (
            modal is None
            or not wanted(modal)
            or not modal.isVisible()
            or seen[:1] not in ([], [modal])
        ):
            QTimer.singleShot(20 if not seen else 200, poll)
            return
        seen.append(modal)
        handle(modal)
        QTimer.singleShot(200, poll)

    QTimer.singleShot(20, poll)
    return seen


def choose_file(qtbot, path: Path) -> list[QWidget]:
    """Type `path` into the next file dialog and press Enter, as a person would (again,
    should the keys reach that dialog before it is ready for them). Once it has closed the
    poll stops: left running, it typed its path into the next step's dialog, and restored
    the good backup where the test meant to restore a damaged one (a hang under load)."""
    seen: list[QWidget] = []

    def poll() -> None:
        if seen and not (isValid(seen[0]) and seen[0].isVisible()):
            return  # its dialog has closed: the next file dialog is another step's to answer
        dialog = QApplication.activeModalWidget()
        name = dialog.findChild(QLineEdit, "fileNameEdit") if dialog is not None else None
        if (
            not isinstance(dialog, QFileDialog)
            or name is None
            or not name.isVisible()
            or not dialog.isActiveWindow()  # keys sent before it is active reach it half-made
            or seen[:1] not in ([], [dialog])
        ):
            QTimer.singleShot(20, poll)
            return
        seen.append(dialog)
        name.setFocus()
        name.selectAll()
        qtbot.keyClicks(name, str(path))
        completer = name.completer()
        if completer is not None and completer.popup().isVisible():
            completer.popup().hide()  # an existing file's name is offered: take what was typed
        qtbot.keyClick(name, Qt.Key.Key_Return)
        QTimer.singleShot(200, poll)  # still open? type it again

    QTimer.singleShot(20, poll)
    return seen


def trigger(window: QWidget, name: str) -> None:
    action = window.findChild(QAction, name)
    assert action is not None and action in window.menuBar().actions()[0].menu().actions()
    action.trigger()


def hospice_domains(path: Path) -> list[str]:
    db = open_database(path)
    try:
        found = db.read(organisations.list_organisations)
    finally:
        db.close()
    hospice = next(o for o in found if o.name == "Lowther Hospice")
    return [a.alias for a in hospice.aliases]


def test_back_up_change_restore_and_the_change_is_gone(
    qtbot, open_window, demo_db: Database, demo_path: Path, tmp_path: Path
) -> None:
    window = open_window()
    out = tmp_path / "before.pdbackup"
    chosen = choose_file(qtbot, out)
    trigger(window, "backupAction")
    assert chosen, "Back up… asks where"
    assert out.is_file() and "Backed up to" in window.statusBar().currentMessage()

    demo_db.run(organisations.add_alias, "Lowther Hospice", "domain", "lowther.org.uk")
    assert hospice_domains(demo_path) == ["lowther.org.uk"]

    told: list[str] = []

    def confirm(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        told.append(box.text() + " " + box.informativeText())
        restore = next(b for b in box.buttons() if b.objectName() == "restoreButton")
        qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)

    choose_file(qtbot, out)
    asked = answer_modal(qtbot, lambda w: w.objectName() == "confirmRestore", confirm)
    with qtbot.waitSignal(window.open_requested, timeout=30_000) as reopened:
        trigger(window, "restoreAction")
    assert asked and "checked whole" in told[0] and "kept aside" in told[0]
    assert reopened.args == [str(demo_path)]

    assert hospice_domains(demo_path) == [], "the change made after the backup is gone"
    db = open_database(demo_path)
    try:
        assert db.read(audit.verify_chain).intact
    finally:
        db.close()
    assert list(tmp_path.glob("demo.sqlite.before-restore-*.bak")), "the old one kept aside"


def test_a_damaged_backup_is_refused_with_a_dialog_and_nothing_changes(
    qtbot, open_window, demo_db: Database, tmp_path: Path
) -> None:
    window = open_window()
    good = tmp_path / "good.pdbackup"
    choose_file(qtbot, good)
    trigger(window, "backupAction")
    damaged = tmp_path / "damaged.pdbackup"
    data = bytearray(good.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\0" * 64  # bytes of the database member overwritten
    damaged.write_bytes(bytes(data))
    before = fingerprint(demo_db)

    told: list[str] = []

    def dismiss(box: QWidget) -> None:
        told.append(box.text() + " " + box.informativeText())
        box.accept()

    reopened: list[str] = []
    window.open_requested.connect(reopened.append)
    choose_file(qtbot, damaged)
    seen = answer_modal(qtbot, lambda w: w.objectName() == "badInputDialog", dismiss)
    trigger(window, "restoreAction")
    qtbot.waitUntil(lambda: bool(seen))
    assert "damaged.pdbackup" in told[0] and "Nothing was changed" in told[0]
    assert fingerprint(demo_db) == before
    assert reopened == []
    assert not list(tmp_path.glob("*.before-restore-*.bak"))
