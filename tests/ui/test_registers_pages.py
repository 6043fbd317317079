"""The Registers, Credential history and Evaluation pages and the detail pane's lineage,
driven as people use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from panel_desk.services.database import Database, open_database
from panel_desk.services.vocabulary import Role
from panel_desk.ui.evaluation.page import EvaluationPage
from panel_desk.ui.lineage.page import CredentialHistoryPage
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.registers.page import RegistersPage
from tests.dbstate import fingerprint
from tests.registers.conftest import CREDENTIAL, PROVIDER, completions_file
from tests.ui.conftest import answer_next_modal


@pytest.fixture
def hub(signed_demo_path: Path) -> Iterator[Database]:
    db = open_database(signed_demo_path)
    yield db
    db.close()


def _page(window: MainWindow, kind: type):  # type: ignore[no-untyped-def]
    page = next(p for p in window.pages if isinstance(p, kind))
    window.tabs.setCurrentWidget(page)
    return page


def test_the_registers_page_lists_exports_and_refuses_a_bad_file(
    qtbot, open_window, hub: Database, signed_demo_path: Path, tmp_path: Path
) -> None:
    window = open_window(Role.SECRETARIAT, db=hub)
    page: RegistersPage = _page(window, RegistersPage)
    assert page.credentials.rowCount() == 2 and page.approvals.rowCount() == 2
    assert page.returns.rowCount() >= 2
    out = page.export("providers", tmp_path / "providers.csv")
    assert out is not None and PROVIDER in out.read_text(encoding="utf-8")

    before = fingerprint(signed_demo_path)
    bad = completions_file(tmp_path, ("P-1", "X", "No Such Credential", PROVIDER, "2026-01-01"))
    seen = answer_next_modal(qtbot, lambda box: box.close())
    assert page.import_completions(bad) is None
    assert isinstance(seen[0], QMessageBox) and "unknown credential" in seen[0].text()
    assert fingerprint(signed_demo_path) == before

    qtbot.keyClicks(page.lookup, "P-100231")
    qtbot.keyClick(page.lookup, Qt.Key.Key_Return)
    assert CREDENTIAL in page.result.text()


def test_credential_history_shows_the_whole_chain(qtbot, open_window, hub: Database) -> None:
    window = open_window(Role.SECRETARIAT, db=hub)
    page: CredentialHistoryPage = _page(window, CredentialHistoryPage)
    assert page.chooser.count() == 2
    page.chooser.setFocus()
    index = next(i for i in range(page.chooser.count()) if CREDENTIAL in page.chooser.itemText(i))
    page.chooser.setCurrentIndex(index)
    text = page.history.toPlainText()
    for expected in (
        "GW-2025-02/",
        CREDENTIAL,
        "PA-2026-01/PA26-01",
        "PR-2026-01/PR26-01",
        "P-100231",
        "2025-26",  # the demo's return (services/demo_registers.py), in late
        "signed off by",
    ):
        assert expected in text, expected
    assert text.index("GW-2025-02/") < text.index("Specification (the credential)")
    returns = text[text.index("Annual returns") :]
    assert "late 9 Nov 2026" in returns and "due 31 Oct 2026" in returns, "Eastmere's, late"
    assert "Wessex Vale University\tmissing" in returns.replace("\n", "\t"), returns


def test_the_detail_pane_shows_lineage_and_attached_returns(
    qtbot, open_window, hub: Database
) -> None:
    window = open_window(Role.SECRETARIAT, db=hub)
    window.tabs.setCurrentWidget(window.submissions_page)
    navigator = window.navigator
    navigator.setCurrentIndex(navigator.rounds.index(navigator.rounds.row_of("PR-2026-01")))
    qtbot.waitUntil(lambda: window.submissions.model.rowCount() == 1)
    window.submissions.table.selectRow(0)
    qtbot.waitUntil(lambda: "Lineage" in window.detail.toPlainText())
    text = window.detail.toPlainText()
    assert CREDENTIAL in text and "Annual returns attached" in text


def test_the_evaluation_page_draws_its_charts_and_saves_the_report(
    qtbot, open_window, hub: Database, tmp_path: Path
) -> None:
    window = open_window(Role.EAG, db=hub)
    page: EvaluationPage = _page(window, EvaluationPage)
    assert "Outcomes by stage" in page.chart_titles and len(page.chart_titles) == 5
    charts = [
        w
        for w in page.charts.findChildren(type(page.headline))
        if w.pixmap() and not w.pixmap().isNull()
    ]
    assert len(charts) == 5
    out = page.save_report(tmp_path / "evaluation.pdf")
    assert out is not None and out.read_bytes().startswith(b"%PDF")
