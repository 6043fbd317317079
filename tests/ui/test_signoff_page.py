"""The Sign-off and Appeals pages, driven as people use them: an EAG member signs with the
dialog, the secretariat exports the decision pack behind the progress dialog (and cancels
one), verifies packs, and upholds an appeal that sends the round back to sign-off."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton, QWidget

from panel_desk.services.database import Database, open_database
from panel_desk.services.vocabulary import Role
from panel_desk.ui.appeals.page import AppealsPage
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.signoff.page import SignOffPage
from tests.services.signoff_world import ROUND, change_feedback, people_with
from tests.ui.conftest import answer_next_modal


@pytest.fixture
def hub(signed_demo_path: Path) -> Iterator[Database]:
    db = open_database(signed_demo_path)
    yield db
    db.close()


def _page(qtbot, window: MainWindow, kind: type[QWidget]) -> QWidget:
    while window.navigator.current_ref() != ROUND:
        qtbot.keySequence(window, QKeySequence("Ctrl+PgDown"))
    page = next(p for p in window.pages if isinstance(p, kind))
    window.tabs.setCurrentWidget(page)
    assert page.summary is not None and page.summary.ref == ROUND
    return page


def _watch_progress(qtbot) -> list[str]:
    """The label of every progress dialog shown until the test ends."""
    seen: list[str] = []

    def poll() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QProgressDialog) and widget.isVisible():
                seen.append(widget.labelText())
        QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)
    return seen


def test_an_eag_member_signs_off_with_the_dialog(qtbot, open_window, hub: Database) -> None:
    change_feedback(hub, "GW25-01", "Revised feedback: the panel met again.")
    member = people_with(hub, "eag")[0]
    window = open_window(Role.EAG, member, db=hub)
    page = _page(qtbot, window, SignOffPage)
    assert "awaiting sign-off (0 signatures" in page.headline.text()
    assert page.sign_button.isVisible() and page.sign_button.isEnabled()
    assert not page.export_button.isVisible()
    conflicted = [
        page.model.row_at(n).ref
        for n in range(page.model.rowCount())
        if page.model.data(page.model.index(n, 6))
    ]
    seen: list[str] = []

    def sign(dialog: QWidget) -> None:
        seen.append(dialog.objectName())
        box = dialog.findChild(QWidget, "signStatement")
        qtbot.keyClicks(box, "I abstain where I have a conflict.")
        dialog.findChild(QPushButton, "signConfirm").click()

    answer_next_modal(qtbot, sign)
    qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: page.signatures.rowCount() and "signed off by" in page.result.text())
    assert seen == ["signDialog"]
    mine = [page.signatures.row_at(n) for n in range(page.signatures.rowCount())]
    mine = [s for s in mine if s.signer == member and s.counts]
    assert len(mine) == 1 and mine[0].statement == "I abstain where I have a conflict."
    assert sorted(mine[0].abstentions) == sorted(conflicted)
    assert not page.sign_button.isEnabled(), "a member signs a set once"
    assert "You signed on" in page.headline.text()


def test_the_secretariat_exports_behind_the_progress_dialog_and_verifies(
    qtbot, open_window, hub: Database, tmp_path: Path
) -> None:
    window = open_window(Role.SECRETARIAT, people_with(hub, "secretariat")[0], db=hub)
    page = _page(qtbot, window, SignOffPage)
    assert page.export_button.isVisible() and page.export_button.isEnabled()
    assert not page.sign_button.isVisible()
    progress = _watch_progress(qtbot)

    made = page.export_pack(tmp_path / "pack")

    assert made is not None and (made.path / "decision-record.pdf").is_file()
    assert progress, "the export showed its progress"
    assert any("letter" in text or "decision record" in text for text in progress)
    assert "Decision pack of GW-2025-02 written" in page.result.text()

    seen: list[str] = []

    def read(dialog: QWidget) -> None:
        seen.append(dialog.findChild(QWidget, "verdict").text())
        dialog.reject()

    answer_next_modal(qtbot, read)
    report = page.verify_pack(made.path)
    assert report is not None and report.valid
    assert "Valid: every check holds" in seen[0]

    copy = tmp_path / "tampered"
    shutil.copytree(made.path, copy)
    target = copy / "letters" / "GW25-03.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    report = page.verify_pack(copy, show=False)
    assert report is not None and not report.valid
    assert "letters/GW25-03.pdf" in {c.name for c in report.failures}
    assert "NOT valid" in page.result.text()


def test_cancel_in_the_progress_dialog_leaves_no_pack(
    qtbot, open_window, hub: Database, tmp_path: Path
) -> None:
    window = open_window(Role.SECRETARIAT, people_with(hub, "secretariat")[0], db=hub)
    page = _page(qtbot, window, SignOffPage)
    out = tmp_path / "out"
    out.mkdir()
    cancelled: list[bool] = []

    def cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, QProgressDialog)
        dialog.findChild(QPushButton).click()
        cancelled.append(True)

    answer_next_modal(qtbot, cancel)
    made = page.export_pack(out / "pack")

    assert cancelled and made is None
    assert list(out.iterdir()) == [], "no pack and no temporary folder"


def test_an_upheld_appeal_sends_the_round_back_to_sign_off(
    qtbot, open_window, hub: Database, tmp_path: Path
) -> None:
    window = open_window(Role.SECRETARIAT, people_with(hub, "secretariat")[0], db=hub)
    page = _page(qtbot, window, AppealsPage)
    assert page.model.rowCount() == 0

    def lodge(dialog: QWidget) -> None:
        qtbot.keyClicks(dialog.findChild(QWidget, "appealAppellant"), "Tomasz Varga")
        qtbot.keyClicks(
            dialog.findChild(QWidget, "appealGrounds"),
            "The moderation rationale was recorded after the outcome.",
        )
        dialog.findChild(QWidget, "appealLodgedOn").setDate(QDate.currentDate())
        dialog.accept()

    answer_next_modal(qtbot, lodge)
    made = page.lodge()
    assert made is not None and page.model.rowCount() == 1
    page.table.selectRow(0)

    def uphold(dialog: QWidget) -> None:
        dialog.findChild(QWidget, "appealDecision").setCurrentText("upheld")
        qtbot.keyClicks(dialog.findChild(QWidget, "appealReason"), "A procedural irregularity.")
        dialog.accept()

    answer_next_modal(qtbot, uphold)
    done = page.decide()

    assert done is not None and done.status == "upheld" and done.reopened_version == 2
    assert "needs a new sign-off" in page.result.text()
    page.table.selectRow(0)
    saved = page.save_extract(tmp_path / "extract.json")
    assert saved is not None and saved.is_file()
    signoff_page = _page(qtbot, window, SignOffPage)
    assert "awaiting sign-off (0 signatures" in signoff_page.headline.text()
    assert not signoff_page.export_button.isEnabled()
