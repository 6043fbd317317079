"""Round set-up in the GUI: imports with progress, bad input shown as a dialog, screening."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from panel_desk.services import roster
from tests.dbstate import fingerprint
from tests.ui.conftest import answer_next_modal


def _choose_file(monkeypatch: pytest.MonkeyPatch, path: Path, folder: Path | None = None) -> None:
    """Stand in for the person picking `path` in the system's file dialog."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "CSV"))
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder) if folder else ""
    )


def test_bad_roster_file_is_refused_with_a_dialog_and_changes_nothing(
    qtbot, open_window, demo_path, monkeypatch, tmp_path
):
    window = open_window()
    bad = tmp_path / "roster.csv"
    bad.write_text(
        "email,name,roles,expertise,affiliations,declared_interests\n"
        "kim.ng@centre.example,Kim Ng,reviewer,,,\n"
        "kim.ng@centre.example,Kim Ng again,moderator,,,\n"
    )
    before = fingerprint(demo_path)
    _choose_file(monkeypatch, bad)
    messages: list[str] = []

    def read_and_close(dialog) -> None:
        assert isinstance(dialog, QMessageBox)
        messages.append(f"{dialog.text()}\n{dialog.informativeText()}")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    shown = answer_next_modal(qtbot, read_and_close)
    qtbot.keySequence(window, QKeySequence("Ctrl+Shift+R"))
    qtbot.waitUntil(lambda: bool(messages))

    assert shown[0].objectName() == "badInputDialog"
    assert "already on row 2" in messages[0]
    assert "roster.csv: row 3, column email" in messages[0]
    assert "Nothing was changed" in messages[0]
    assert fingerprint(demo_path) == before


def test_good_roster_file_is_imported_and_reported(
    qtbot, open_window, demo_db, monkeypatch, tmp_path
):
    window = open_window()
    good = tmp_path / "roster.csv"
    good.write_text(
        "email,name,roles,expertise,affiliations,declared_interests\n"
        "kim.ng@centre.example,Kim Ng,reviewer,area:frailty;assessment,Lowther Hospice||,\n"
    )
    _choose_file(monkeypatch, good)
    window.import_roster_action.trigger()
    qtbot.waitUntil(lambda: "Roster roster.csv" in window.statusBar().currentMessage())
    assert "1 added" in window.statusBar().currentMessage()
    assert any(p.email == "kim.ng@centre.example" for p in demo_db.read(roster.list_people))


def test_run_screening_from_the_menu_screens_the_current_round(qtbot, open_window):
    window = open_window()
    assert window.submissions.model.row_at(3).screening_state == "resubmitted"  # GW-04
    qtbot.keySequence(window, QKeySequence("Ctrl+R"))
    qtbot.waitUntil(lambda: "Screened GW-2026-01" in window.statusBar().currentMessage())
    assert "14 of 16 complete, 2 with gaps returned" in window.statusBar().currentMessage()
    assert window.submissions.model.row_at(3).screening_state == "complete"


def test_a_document_link_opens_a_named_copy_of_the_document(qtbot, open_window, monkeypatch):
    window = open_window()
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    detail = window.detail
    detail.setFocus()
    qtbot.keyClick(detail, Qt.Key.Key_Tab)  # the first link: the first document
    qtbot.keyClick(detail, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened))
    path = Path(opened[0].toLocalFile())
    assert path.name == "GW-01-development-group.pdf"
    assert path.read_bytes().startswith(b"%PDF")
