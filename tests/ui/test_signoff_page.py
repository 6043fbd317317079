"""The Sign-off and Appeals pages, driven as people use them: an EAG member signs with the
dialog, the secretariat exports the decision pack behind the progress dialog (and cancels
one), verifies packs, and upholds an appeal that sends the round back to sign-off."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QWidget,
)

from panel_desk.services.database import Database, open_database
from panel_desk.services.demo import SIGNED_SIZE
from panel_desk.services.vocabulary import Role
from panel_desk.ui import runner
from panel_desk.ui.appeals.page import AppealsPage
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.signoff.page import SignOffPage
from tests.services.signoff_world import ROUND, change_feedback, people_with
from tests.ui.conftest import answer_next_modal, cancel_after


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


def _record_progress(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every progress update the dialog is given, with whether it was then on screen: all
    of them, however busy the machine (a poll would see only some)."""
    seen: list[tuple[str, bool]] = []

    class Recording(QProgressDialog):
        """The runner's dialog, noting each label it is given in the GUI thread (a patched
        slot would lose @Slot and run in the worker's thread, touching widgets there)."""

        def setLabelText(self, text: str) -> None:
            super().setLabelText(text)
            seen.append((text, self.isVisible()))

    monkeypatch.setattr(runner, "QProgressDialog", Recording)
    return seen


def _choose(monkeypatch: pytest.MonkeyPatch, kind: str, path: Path) -> None:
    """The next file dialog of `kind` ("getSaveFileName", "getOpenFileName") chooses `path`."""
    monkeypatch.setattr(QFileDialog, kind, lambda *a, **k: (str(path), ""))


def _verdict(qtbot, page: SignOffPage) -> tuple[str, dict[str, str]]:
    """Click Verify a pack…, read the verdict dialog (its headline and each check's mark)
    and close it with its Close button."""
    seen: list[tuple[str, dict[str, str]]] = []

    def read(dialog: QWidget) -> None:
        table = dialog.findChild(QTableWidget, "verdictChecks")
        marks = {table.item(r, 1).text(): table.item(r, 0).text() for r in range(table.rowCount())}
        seen.append((dialog.findChild(QWidget, "verdict").text(), marks))
        box = dialog.findChild(QDialogButtonBox)
        qtbot.mouseClick(box.buttons()[0], Qt.MouseButton.LeftButton)

    answer_next_modal(qtbot, read)
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen))
    return seen[0]


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
    assert conflicted, "the demo's first EAG member is conflicted somewhere"
    n = len(conflicted)
    assert f"conflicted on {n} submission{'s' if n > 1 else ''}:" in page.headline.text()
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
    assert f"abstaining on {', '.join(mine[0].abstentions)}." in page.headline.text()
    assert "conflicted on" not in page.headline.text()


def test_the_secretariat_exports_behind_the_progress_dialog_and_verifies(
    qtbot, open_window, hub: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(Role.SECRETARIAT, people_with(hub, "secretariat")[0], db=hub)
    page = _page(qtbot, window, SignOffPage)
    assert page.export_button.isVisible() and page.export_button.isEnabled()
    assert not page.sign_button.isVisible()
    progress = _record_progress(monkeypatch)
    _choose(monkeypatch, "getSaveFileName", tmp_path / "pack")

    qtbot.keyClick(window, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)  # E&xport…

    qtbot.waitUntil(lambda: "Decision pack of GW-2025-02 written" in page.result.text())
    assert (tmp_path / "pack" / "decision-record.pdf").is_file()
    labels = [text for text, _ in progress]
    assert "Signing the decision record" in labels
    assert sum(text.startswith("Feedback letter") for text in labels) == SIGNED_SIZE
    assert any(on_screen for _, on_screen in progress), "the progress dialog was shown"

    _choose(monkeypatch, "getOpenFileName", tmp_path / "pack" / "manifest.json")
    verdict, marks = _verdict(qtbot, page)
    assert "Valid: every check holds" in verdict
    assert set(marks.values()) == {"ok"} and "decision-record.pdf" in marks

    copy = tmp_path / "tampered"
    shutil.copytree(tmp_path / "pack", copy)
    target = copy / "letters" / "GW25-03.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 1
    target.write_bytes(bytes(data))
    _choose(monkeypatch, "getOpenFileName", copy / "manifest.json")
    verdict, marks = _verdict(qtbot, page)
    assert "NOT valid" in verdict and str(copy) in verdict
    assert marks["letters/GW25-03.pdf"] == "FAIL"
    assert "NOT valid" in page.result.text()


@pytest.mark.parametrize("after", [1, 6])
def test_cancel_in_the_progress_dialog_leaves_no_pack(
    qtbot,
    open_window,
    hub: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    after: int,
) -> None:
    window = open_window(Role.SECRETARIAT, people_with(hub, "secretariat")[0], db=hub)
    page = _page(qtbot, window, SignOffPage)
    out = tmp_path / "out"
    out.mkdir()
    _choose(monkeypatch, "getSaveFileName", out / "pack")
    progress = _record_progress(monkeypatch)
    step = runner._Worker._progress

    def unhurried(self, done: int, total: int, text: str) -> None:
        time.sleep(0.05)  # a pack of realistic size: the click lands before the work ends
        step(self, done, total, text)

    monkeypatch.setattr(runner._Worker, "_progress", unhurried)

    cancelled = cancel_after(qtbot, progress, after)  # the user clicks Cancel then
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)

    assert cancelled, "the progress dialog was shown and cancelled"
    assert "written" not in page.result.text()
    assert list(out.iterdir()) == [], f"no pack and no temporary folder (cancelled at {cancelled})"
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "written" in page.result.text())
    assert [p.name for p in out.iterdir()] == ["pack"], "nothing was left in the way"


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
