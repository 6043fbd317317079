"""The secretariat's Returns page: who has returned, what is outstanding, who is overdue; a
packet exported for the chosen reviewer and a return imported, both off the GUI thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QKeySequence
from PySide6.QtWidgets import QFileDialog, QWidget
from sqlalchemy import update

from panel_desk.services import assignment_changes
from panel_desk.services.exchange import return_import
from panel_desk.services.vocabulary import Role
from panel_desk.store.models import Round
from panel_desk.ui.returns.page import ReturnsPage
from panel_desk.ui.returns.table import BAD, COLUMNS
from tests.crypto.support import MemoryKeyring, keys_kept_apart
from tests.dbstate import fingerprint
from tests.exchange_world import ROUND, World, members_of
from tests.ui.conftest import answer_next_modal

STATUS = len(COLUMNS) - 1


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def world(demo_path: Path, tmp_path: Path) -> Iterator[World]:
    made = World(demo_path, tmp_path)
    yield made
    made.close()


def _page(qtbot, open_window, world: World) -> ReturnsPage:
    window = open_window(Role.SECRETARIAT, world.secretariat, db=world.hub)
    while window.navigator.current_ref() != ROUND:
        qtbot.keySequence(window, QKeySequence("Ctrl+PgDown"))
    page = window.page("Returns")
    window.tabs.setCurrentWidget(page)
    assert page.summary is not None and page.summary.ref == ROUND
    return page


def _row(page: ReturnsPage, email: str) -> int:
    return next(r for r in range(page.model.rowCount()) if page.model.row_at(r).email == email)


def _cell(page: ReturnsPage, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return page.model.data(page.model.index(row, column), role)


def test_the_page_shows_each_reviewer_and_highlights_the_overdue(qtbot, open_window, world):
    world.hub.run(
        lambda s: s.execute(
            update(Round).where(Round.ref == ROUND).values(review_deadline=date(2026, 1, 5))
        )
    )
    page = _page(qtbot, open_window, world)

    assert page.model.rowCount() >= 10
    assert "reviews submitted" in page.headline.text() and "overdue" in page.headline.text()
    late = [r for r in range(page.model.rowCount()) if page.model.row_at(r).outstanding]
    assert late, "the demo's endorsement round is still under review"
    for row in late:
        assert _cell(page, row, STATUS).startswith("overdue")
        brush = _cell(page, row, STATUS, Qt.ItemDataRole.ForegroundRole)
        assert isinstance(brush, QBrush) and brush.color().name() == BAD
    page.shown.setCurrentIndex(2)  # "Overdue"
    assert page.model.rowCount() == len(late)
    page.shown.setCurrentIndex(0)
    qtbot.keyClicks(page.filter, world.reviewer.split("@")[0])
    assert [page.model.row_at(r).email for r in range(page.model.rowCount())] == [world.reviewer]


def test_a_packet_is_exported_for_the_chosen_reviewer_and_a_return_imported(
    qtbot, open_window, world, monkeypatch
):
    page = _page(qtbot, open_window, world)
    assert not page.export_button.isEnabled()  # no reviewer chosen yet
    page.table.setFocus()
    page.choose(world.reviewer)
    assert page.export_button.isEnabled()
    out = world.folder / "from-the-page.pdpacket"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))

    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)

    assert members_of(out)["manifest.json"]
    row = _row(page, world.reviewer)
    assert _cell(page, row, 6).startswith("1, last")  # packets
    assert "Packet 1 for" in page.result.text()

    laptop = world.laptop(out)
    world.score(laptop, world.fresh(laptop)[0].assignment_id)
    returned = world.export_return(laptop)
    laptop.close()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(returned), ""))
    before = page.model.row_at(_row(page, world.reviewer)).submitted

    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)

    after = page.model.row_at(_row(page, world.reviewer))
    assert after.submitted == before + 1 and after.returns == 1
    assert "imported" in page.result.text()
    assert page.chosen() is not None and page.chosen().email == world.reviewer


def test_a_bad_return_is_shown_in_a_dialog_naming_the_file_and_changes_nothing(
    qtbot, open_window, world, monkeypatch
):
    page = _page(qtbot, open_window, world)
    bad = world.folder / "not-a-return.pdreturn"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    before = fingerprint(world.hub_path)
    seen: list[str] = []

    def read_and_close(dialog: QWidget) -> None:
        seen.append(f"{dialog.objectName()}|{dialog.text()}|{dialog.informativeText()}")
        dialog.close()

    answer_next_modal(qtbot, read_and_close)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(seen))

    name, problem, where = seen[0].split("|")
    assert name == "badInputDialog"
    assert "not a zip" in problem
    assert str(bad) in where and "Nothing was changed" in where
    assert fingerprint(world.hub_path) == before


# --- the reviewer's side: Packets and returns --------------------------------------------


def test_a_reviewer_sends_a_return_and_takes_a_newer_packet_from_the_app(
    qtbot, open_window, world, monkeypatch
):
    laptop = world.laptop()
    world.score(laptop, world.fresh(laptop)[0].assignment_id)
    window = open_window(Role.REVIEWER, world.reviewer, db=laptop)
    page = window.page("Packets and returns")
    window.tabs.setCurrentWidget(page)
    assert "changes the secretariat has not had yet" in page.advice.text()
    out = world.folder / "from-the-app.pdreturn"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))

    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)

    assert "Return 1 written" in page.result.text()
    assert "Everything here was in your last return" in page.advice.text()
    assert world.hub.run(return_import.import_return, out, world.secretariat).changed

    world.hub.run(
        assignment_changes.withdraw_reviewer,
        ROUND,
        world.fresh(laptop)[0].submission_ref,
        world.reviewer,
        world.secretariat,
    )
    newer = world.export_packet(name="newer")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(newer), ""))
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    assert "Packet 2" in page.result.text() and "withdrawn by the secretariat" in page.result.text()
    assert "Packet 2: issued" in page.history.text()

    before = fingerprint(laptop.path)
    seen: list[str] = []

    def read_and_close(dialog: QWidget) -> None:
        seen.append(f"{dialog.text()}|{dialog.informativeText()}")
        dialog.close()

    answer_next_modal(qtbot, read_and_close)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)  # the same file again
    qtbot.waitUntil(lambda: bool(seen))
    assert "was already imported" in seen[0] and str(newer) in seen[0]
    assert fingerprint(laptop.path) == before
    laptop.close()
