"""On the reviewer's own machine, a periodic review opens with the providers' annual returns
its packet carried, shown beside its documents in "My reviews"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from panel_desk.services.exchange.packet_returns import AttachedReturnView
from panel_desk.services.vocabulary import Role
from panel_desk.ui.review_editor.attached_returns import returns_html
from tests.crypto.support import MemoryKeyring, keys_kept_apart
from tests.exchange_world import World
from tests.registers.conftest import PROVIDER
from tests.services.test_packet_returns import REVIEW, _assign_to_review, _review_packet


@pytest.fixture(autouse=True)
def ring(
    signed_demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


def test_the_reviewer_sees_the_returns_beside_the_documents(
    qtbot, open_window, signed_demo_path: Path, tmp_path: Path
) -> None:
    world = World(signed_demo_path, tmp_path)
    ref = _assign_to_review(world)
    laptop = world.laptop(_review_packet(world), name="reviewer")
    world.close()

    window = open_window(Role.REVIEWER, world.reviewer, db=laptop)
    page = window.page("My reviews")
    assert window.navigator.current_ref() == REVIEW
    page.assignments.table.setFocus()
    qtbot.keyClick(page.assignments.table, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: ref in page.detail.toPlainText())

    text = page.detail.toPlainText()
    documents, attached = text.index("Documents"), text.index("Annual returns attached")
    assert documents < attached < text.index("Template fields")
    assert PROVIDER in text[attached:]
    assert "Take-up" in text and "Enhancement themes" in text
    laptop.close()


def test_late_and_missing_returns_are_marked() -> None:
    late = AttachedReturnView(
        PROVIDER, "A credential", 2025, date(2026, 10, 31), date(2026, 11, 9), 14, 12, 3, ""
    )
    missing = AttachedReturnView(
        "Another University", "A credential", 2025, date(2026, 10, 31), None, None, None, None, ""
    )

    html = returns_html([late, missing])

    assert "1 received (1 late)" in html and "1 missing" in html
    assert "<span class=late>Late</span> 9 Nov 2026" in html
    assert "<span class=missing>Missing</span>" in html and "—" in html
    assert returns_html([]) == ""
