"""Colours that follow the system's light or dark palette.

Hues that carry meaning (passing green, failing red, a warning amber, the cut-line red)
stay recognisable on both, in a lighter shade on a dark palette where the light-palette
shade would be too dark to read; tints behind text are the hue mixed into the palette's
own base colour, so text drawn in the palette's text colour stays readable on them; quiet
text is the palette's text colour half-way to its background. Read them when painting
or when the model is asked (not once at import): the palette can change while the app runs.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel

# (on a light palette, on a dark one)
_HUES = {
    "good": ("#1b7f3a", "#81c995"),
    "bad": ("#b3261e", "#f28b82"),
    "warn": ("#8a5a00", "#fdd663"),
    "line": ("#d93025", "#f28b82"),
    "accent": ("#1a73e8", "#8ab4f8"),
}


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark(source: QPalette | None = None) -> bool:
    """Whether the palette draws light text on a dark background."""
    p = source or palette()
    return (
        p.color(QPalette.ColorRole.Window).lightness()
        < p.color(QPalette.ColorRole.WindowText).lightness()
    )


def hue(name: str) -> QColor:
    """A meaningful colour for text or marks ("good", "bad", "warn", "line", "accent")."""
    light, dark = _HUES[name]
    return QColor(dark if is_dark() else light)


def hex_of(name: str) -> str:
    """The same, as #rrggbb for rich text."""
    return hue(name).name()


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    k = max(0.0, min(1.0, share_of_b))
    return QColor.fromRgbF(
        a.redF() * (1 - k) + b.redF() * k,
        a.greenF() * (1 - k) + b.greenF() * k,
        a.blueF() * (1 - k) + b.blueF() * k,
    )


def tint(name: str) -> QColor:
    """A background behind ordinary text: the hue faintly mixed into the base colour."""
    base = palette().color(QPalette.ColorRole.Base)
    return mix(base, hue(name), 0.2 if is_dark() else 0.12)


def quiet() -> QColor:
    """Secondary text: readable, but quieter than the text around it."""
    p = palette()
    return mix(p.color(QPalette.ColorRole.Text), p.color(QPalette.ColorRole.Base), 0.4)


def ink() -> QColor:
    """Marks drawn in the text colour (dots, axes) so they show on either background."""
    return palette().color(QPalette.ColorRole.Text)


def make_quiet(label: QLabel) -> QLabel:
    """Give a label the quiet text colour of the palette it is shown with."""
    p = label.palette()
    text = p.color(QPalette.ColorRole.WindowText)
    p.setColor(QPalette.ColorRole.WindowText, mix(text, p.color(QPalette.ColorRole.Window), 0.35))
    label.setPalette(p)
    return label
