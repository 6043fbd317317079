"""Long reads off the GUI thread, behind the progress dialog, with a Cancel that stops them:
the Assignment and Conflicts pages, the audit check, an appeal's audit extract and the
offline review form's import. Each page shows its data after the background read; a
cancelled one changes nothing, says so, and the page goes on working.

The demo is small, so each test makes the service report after every row (as a 20,000-
submission round reports every few thousand) and gives the worker a realistic pace, so
the user's click on Cancel lands while the work runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from panel_desk.services import appeals, assignment_views, audit, conflict_flags, roster, rounds
from panel_desk.services.database import open_database
from panel_desk.services.reviewing import Progress
from panel_desk.services.vocabulary import Role
from panel_desk.ui import runner
from panel_desk.ui.main_window import MainWindow
from tests.dbstate import fingerprint
from tests.services.review_fixtures import pick
from tests.ui.conftest import activate, cancel_after
from tests.ui.test_conflicts_page import go_to_round
from tests.ui.test_review_editor import _open as open_review

BIG = "GW-2026-01"


def _updates(monkeypatch: pytest.MonkeyPatch, pace: float = 0.05) -> list[str]:
    """Every progress update the worker sends, each taking as long as a batch of a big
    round would (so Cancel can land mid-read)."""
    seen: list[str] = []
    step = runner._Worker._progress

    def unhurried(self, done: int, total: int, text: str) -> None:
        time.sleep(pace)
        seen.append(text)
        step(self, done, total, text)

    monkeypatch.setattr(runner._Worker, "_progress", unhurried)
    return seen


def _tab(qtbot, window: MainWindow, title: str) -> QWidget:
    """Click the page's tab, as a user switching to it does."""
    page = window.page(title)
    bar = window.tabs.tabBar()
    qtbot.mouseClick(
        bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(window.tabs.indexOf(page)).center()
    )
    assert window.tabs.currentWidget() is page
    return page


def _refresh(qtbot, window: MainWindow) -> None:
    """View ▸ Refresh with its key, once the window is active again after the dialog."""
    activate(qtbot, window)
    qtbot.keyClick(window.tabs.currentWidget(), Qt.Key.Key_F5)


def _submissions(window: MainWindow, ref: str) -> int:
    summary = next(s for s in window.workspace.read(rounds.list_rounds) if s.ref == ref)
    return summary.submissions


def test_the_assignment_page_reads_in_the_background_and_cancels(
    qtbot, open_window, demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assignment_views, "ROWS_PER_STEP", 1)
    updates = _updates(monkeypatch)
    window = open_window()
    go_to_round(window, BIG)
    before = fingerprint(demo_path)
    cancelled = cancel_after(qtbot, updates, 3)

    page = _tab(qtbot, window, "Assignment")

    assert cancelled and cancelled[0].startswith("Read"), "cancelled in mid-read"
    assert page.teams.rowCount() == 0 and page.count.text() == "Reading cancelled"
    assert f"Reading the teams of {BIG} was cancelled" in page.team_title.text()
    assert fingerprint(demo_path) == before
    assert page.assign.isEnabled(), "the page is still usable"

    _refresh(qtbot, window)

    assert page.teams.rowCount() == _submissions(window, BIG)
    assert f"Read {page.teams.rowCount() - 1:,} of" in " ".join(updates)
    assert "with a team covering the mix" in page.count.text()
    assert "was cancelled" not in page.team_title.text()


def test_the_conflicts_page_reads_in_the_background_and_cancels(
    qtbot, open_window, demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conflict_flags, "FLAGS_PER_STEP", 1)
    updates = _updates(monkeypatch)
    window = open_window()
    go_to_round(window, BIG)
    before = fingerprint(demo_path)
    cancelled = cancel_after(qtbot, updates, 3)

    page = _tab(qtbot, window, "Conflicts")

    assert cancelled and cancelled[0].startswith("Read")
    assert page.model.rowCount() == 0 and page.empty.isVisible()
    assert "conflict flags of GW-2026-01 was cancelled" in page.empty.text()
    assert fingerprint(demo_path) == before

    _refresh(qtbot, window)

    total = window.workspace.read(conflict_flags.count_flags, page.summary.id)
    assert page.model.total == total > 3 and page.table.isVisible()
    assert page.count.text().endswith("flags") and "cancelled" not in page.count.text()


def test_the_audit_check_is_cancelled_between_events(
    qtbot, open_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "CHECKED_PER_STEP", 1)
    updates = _updates(monkeypatch)
    window = open_window()
    cancelled = cancel_after(qtbot, updates, 12)

    page = _tab(qtbot, window, "Audit")

    assert cancelled and cancelled[0].startswith("Checked ")
    assert "Check cancelled" in page.verdict.text() and page.report is None
    assert page.model.rowCount() > 0, "the events are listed all the same"
    checked = len(updates)
    assert checked < page.model.rowCount(), "the check stopped before the end of the trail"

    monkeypatch.setattr(audit, "CHECKED_PER_STEP", 10_000)
    _refresh(qtbot, window)

    assert "Audit trail intact" in page.verdict.text()


def _saves_to(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_an_appeal_extract_is_made_in_the_background_and_cancelled(
    qtbot, open_window, signed_demo_path: Path, tmp_path: Path, monkeypatch
) -> None:
    db = open_database(signed_demo_path)
    try:
        me = next(p.email for p in db.read(roster.list_people) if Role.SECRETARIAT in p.roles)
        made = db.run(
            appeals.lodge_appeal,
            "GW-2025-02",
            "GW25-01",
            "The moderation rationale was recorded after the outcome.",
            "Tomasz Varga",
            me,
        )
        window = open_window(Role.SECRETARIAT, me, db=db)
        go_to_round(window, "GW-2025-02")
        page = _tab(qtbot, window, "Appeals")
        page.table.selectRow(0)
        assert page.chosen().id == made.id
        monkeypatch.setattr(audit, "CHECKED_PER_STEP", 1)
        updates = _updates(monkeypatch)
        _saves_to(monkeypatch, tmp_path / "extract.json")
        cancelled = cancel_after(qtbot, updates, 5)

        qtbot.mouseClick(page.extract_button, Qt.MouseButton.LeftButton)

        assert cancelled and "was cancelled: no file was written" in page.result.text()
        assert not (tmp_path / "extract.json").exists()
        monkeypatch.setattr(audit, "CHECKED_PER_STEP", 10_000)
        qtbot.mouseClick(page.extract_button, Qt.MouseButton.LeftButton)
        assert "saved to" in page.result.text() and (tmp_path / "extract.json").is_file()
    finally:
        db.close()


def test_the_offline_form_import_runs_in_the_background_and_cancels(
    qtbot, open_window, demo_db, demo_path: Path, tmp_path: Path, monkeypatch
) -> None:
    chosen = pick(demo_db, Progress.NOT_STARTED)
    page = open_review(qtbot, open_window, chosen)
    path = page.export_form(tmp_path / "form.txt")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = lines.index(f"==+== Submission: {chosen.submission_ref}")
    at = lines.index("==+== Score: assessment", start) + 1
    while lines[at].startswith("==-=="):
        at += 1
    lines[at] = "not met"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    updates = _updates(monkeypatch, pace=0.2)  # a review checked and saved in 0.2 s
    before = fingerprint(demo_path)
    messages: list[str] = []
    page.status.connect(messages.append)
    cancelled = cancel_after(qtbot, updates, 1)
    original: Callable = QProgressDialog.setMinimumDuration
    monkeypatch.setattr(  # a form of a few reviews: show the dialog at once
        QProgressDialog, "setMinimumDuration", lambda self, ms: original(self, 0)
    )

    assert page.import_form(path) is None

    assert cancelled and messages[-1] == "Importing form.txt was cancelled; no review was changed"
    assert fingerprint(demo_path) == before
    card = next(c for c in page.editor.cards if c.criterion.key == "assessment")
    assert card.chooser.value() == ""

    monkeypatch.undo()  # the worker at its own pace again
    assert "1 draft updated" in (page.import_form(path) or "")
    card = next(c for c in page.editor.cards if c.criterion.key == "assessment")
    assert card.chooser.value() == "not met"
