"""The system's dark palette is kept: what the moderation matrix and the ranking tint stays
readable in the palette's own text colour, and marked hues are lightened on dark."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from panel_desk.ui import colours

DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.Text: "#e8e8e8",
    QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e8e8e8",
}


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def dark(qapp) -> Iterator[QPalette]:
    before = QApplication.palette()
    palette = QPalette(before)
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    QApplication.setPalette(palette)
    yield palette
    QApplication.setPalette(before)


def test_tints_and_hues_follow_a_dark_palette(dark: QPalette) -> None:
    text = dark.color(QPalette.ColorRole.Text)
    assert colours.is_dark()
    for name in ("good", "bad", "warn"):
        assert contrast(colours.tint(name), text) >= 7, f"{name} tint under light text"
        assert contrast(colours.hue(name), dark.color(QPalette.ColorRole.Base)) >= 4.5


def test_tints_and_hues_on_a_light_palette(qapp) -> None:
    palette = QApplication.palette()
    assert not colours.is_dark()
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    for name in ("good", "bad", "warn"):
        assert contrast(colours.tint(name), text) >= 7
        assert contrast(colours.hue(name), base) >= 4.5


def test_the_moderation_matrix_reads_on_a_dark_palette(qtbot, open_window, dark) -> None:
    window = open_window()
    page = window.page("Moderation")
    window.tabs.setCurrentWidget(page)
    model = page.detail.matrix.model()
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    text = dark.color(QPalette.ColorRole.Text)
    tinted = 0
    for row in range(model.rowCount()):
        brush = model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole)
        if brush is not None:
            tinted += 1
            assert contrast(brush.color(), text) >= 7
        for column in range(1, model.columnCount()):
            fore = model.data(model.index(row, column), Qt.ItemDataRole.ForegroundRole)
            back = brush.color() if brush is not None else dark.color(QPalette.ColorRole.Base)
            if fore is not None:
                assert contrast(fore.color(), back) >= 3, (row, column)
    assert tinted, "the demo's first submission has divergent items to tint"
