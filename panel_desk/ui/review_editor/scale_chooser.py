"""A scale as a row of segments a reviewer chooses from with the keyboard or the mouse.

One Tab stop for the whole scale (the segments take no focus): digits choose (the value
itself on a numeric scale, the n-th option on a categorical one), arrow keys step,
Home/End jump, a first letter chooses the option it starts (again: the next such option),
Delete or Backspace clears. Beside the segments, the chosen value in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

PASS, FAIL, NUMBER = "pass", "fail", "number"
STYLE = """
ScaleChooser { border: 2px solid transparent; border-radius: 6px; }
ScaleChooser[problem="true"] { border: 2px solid #b3261e; }
ScaleChooser[focused="true"] { border: 2px solid #1a73e8; background: palette(alternate-base); }
ScaleChooser QPushButton {
    border: 1px solid palette(mid); background: palette(base); color: palette(text);
    padding: 4px 10px; margin: 0; min-height: 22px; border-radius: 0;
}
ScaleChooser QPushButton[first="true"] { border-top-left-radius: 4px;
    border-bottom-left-radius: 4px; }
ScaleChooser QPushButton[last="true"] { border-top-right-radius: 4px;
    border-bottom-right-radius: 4px; }
ScaleChooser QPushButton:hover { background: palette(alternate-base); }
ScaleChooser QPushButton:checked[kind="pass"] { background: #1b7f3a; border-color: #1b7f3a;
    color: white; }
ScaleChooser QPushButton:checked[kind="fail"] { background: #b3261e; border-color: #b3261e;
    color: white; }
ScaleChooser QPushButton:checked[kind="number"] { background: #1a73e8; border-color: #1a73e8;
    color: white; }
ScaleChooser QLabel#choice { color: palette(placeholder-text); padding-left: 8px; }
"""


class ScaleChooser(QFrame):
    """Choose one value of a scale; `changed(value)` ("" when cleared) after every choice."""

    changed = Signal(str)

    def __init__(
        self,
        values: Sequence[str],
        labels: Sequence[str] = (),
        numeric: bool = False,
        passing: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.values = tuple(values)
        self.labels = tuple(labels) or self.values
        self.numeric = numeric
        self.passing = tuple(passing)
        self._value = ""
        self._read_only = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty("focused", False)
        self.setStyleSheet(STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(0)
        self.buttons: list[QPushButton] = []
        for position, value in enumerate(self.values):
            button = QPushButton(value)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setProperty("kind", self._kind(value))
            button.setProperty("first", position == 0)
            button.setProperty("last", position == len(self.values) - 1)
            if self.labels[position] and self.labels[position] != value:
                button.setToolTip(f"{value} · {self.labels[position]}")
            button.clicked.connect(lambda _=False, v=value: self._clicked(v))
            layout.addWidget(button)
            self.buttons.append(button)
        self.choice = QLabel()
        self.choice.setObjectName("choice")
        layout.addWidget(self.choice)
        layout.addStretch(1)
        self._show()

    def _kind(self, value: str) -> str:
        if self.numeric:
            return NUMBER
        return PASS if value in self.passing else FAIL

    # --- the value ---------------------------------------------------------------------------

    def value(self) -> str:
        return self._value

    def set_value(self, value: str, emit: bool = False) -> None:
        value = value if value in self.values else ""
        if value == self._value:
            self._show()
            return
        self._value = value
        self._show()
        if emit:
            self.changed.emit(value)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for button in self.buttons:
            button.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, read_only)
        self._show()

    def set_problem(self, problem: bool) -> None:
        self.setProperty("problem", problem)
        self._restyle()

    def _clicked(self, value: str) -> None:
        if self._read_only:
            self._show()
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.set_value(value, emit=True)

    def _show(self) -> None:
        for button, value in zip(self.buttons, self.values, strict=True):
            button.setChecked(value == self._value)
        if self._value:
            label = self.labels[self.values.index(self._value)]
            words = f"{self._value} · {label}" if label and label != self._value else ""
            self.choice.setText(words if self.numeric else "")
        elif self._read_only:
            self.choice.setText("not scored")
        else:
            keys = (
                f"{self.values[0]}–{self.values[-1]}"
                if self.numeric
                else f"1–{len(self.values)}, first letter"
            )
            self.choice.setText(f"not chosen · keys {keys} or ←/→")
        self.setAccessibleName(f"{self.accessibleDescription()} {self._value or 'not chosen'}")

    # --- the keyboard -------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._read_only or event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        ):
            super().keyPressEvent(event)
            return
        chosen = self._key_choice(event)
        if chosen is None:
            super().keyPressEvent(event)
            return
        event.accept()
        self.set_value(chosen, emit=True)

    def _key_choice(self, event: QKeyEvent) -> str | None:
        key, text = event.key(), event.text()
        current = self.values.index(self._value) if self._value else -1
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            return self.values[min(current + 1, len(self.values) - 1)]
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            return self.values[max(current - 1, 0)]
        if key == Qt.Key.Key_Home:
            return self.values[0]
        if key == Qt.Key.Key_End:
            return self.values[-1]
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return ""
        if text.isdigit():
            if self.numeric:
                return text if text in self.values else None
            position = int(text) - 1
            return self.values[position] if 0 <= position < len(self.values) else None
        if text.isalpha() and not self.numeric:
            starting = [v for v in self.values if v.casefold().startswith(text.casefold())]
            if not starting:
                return None
            if self._value in starting:  # the same letter again: the next option it starts
                return starting[(starting.index(self._value) + 1) % len(starting)]
            return starting[0]
        return None

    # --- focus --------------------------------------------------------------------------------

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.setProperty("focused", True)
        self._restyle()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.setProperty("focused", False)
        self._restyle()
        super().focusOutEvent(event)

    def _restyle(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)
        self.update()
