"""Choosing who you are and in which role, when the app starts.

What you see follows from it (a peer reviewer sees only their assignments), and it is
shown in the window at all times. The last choice is offered first next time.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.roster import PersonSummary
from panel_desk.services.vocabulary import Role


class ActingAsDialog(QDialog):
    """Pick a person from the roster (type to filter) and one of their roles."""

    def __init__(
        self,
        people: Sequence[PersonSummary],
        last_email: str = "",
        last_role: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is working? — panel_desk")
        self.setObjectName("actingAsDialog")
        self.setMinimumSize(520, 460)
        self._people = list(people)

        intro = QLabel(
            "Choose yourself and the role you are working in. A peer reviewer sees only the "
            "submissions assigned to them; the secretariat sees the whole round."
        )
        intro.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="Type a name or e-mail to filter")
        self.filter.setObjectName("personFilter")
        self.filter.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("personList")
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.role = QComboBox()
        self.role.setObjectName("roleChoice")
        form = QFormLayout()
        form.addRow("&Role:", self.role)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Start working")

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        for person in self._people:
            roles = ", ".join(Role(r).label for r in person.roles)
            item = QListWidgetItem(f"{person.name}  —  {person.email}\n{roles}")
            item.setData(Qt.ItemDataRole.UserRole, person.email)
            self.list.addItem(item)
        self.filter.textChanged.connect(self._apply_filter)
        self.list.currentItemChanged.connect(self._person_changed)
        self.list.itemDoubleClicked.connect(self.accept)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.filter.returnPressed.connect(self._accept_if_chosen)
        self.filter.installEventFilter(self)

        start = next((i for i, p in enumerate(self._people) if p.email == last_email), 0)
        if self._people:
            self.list.setCurrentRow(start)
            index = self.role.findData(last_role)
            if index >= 0 and self._people[start].email == last_email:
                self.role.setCurrentIndex(index)
        self.filter.setFocus()
        self._sync_ok()

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        first_visible = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            hidden = bool(needle) and needle not in item.text().casefold()
            item.setHidden(hidden)
            if not hidden and first_visible is None:
                first_visible = item
        current = self.list.currentItem()
        if current is None or current.isHidden():
            self.list.setCurrentItem(first_visible)
        self._sync_ok()

    def _person_changed(self) -> None:
        self.role.clear()
        person = self.chosen_person()
        if person is not None:
            for role in person.roles:
                self.role.addItem(Role(role).label, role)
        self._sync_ok()

    def _sync_ok(self) -> None:
        item = self.list.currentItem()
        ok = item is not None and not item.isHidden() and self.role.count() > 0
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _accept_if_chosen(self) -> None:
        if self.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled():
            self.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the filter box move through the list, so the keyboard never leaves it.
        if (
            watched is self.filter
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
        ):
            QApplication.sendEvent(self.list, event)
            return True
        return super().eventFilter(watched, event)

    def chosen_person(self) -> PersonSummary | None:
        item = self.list.currentItem()
        if item is None:
            return None
        email = item.data(Qt.ItemDataRole.UserRole)
        return next(p for p in self._people if p.email == email)

    def chosen_role(self) -> Role | None:
        data = self.role.currentData()
        return Role(data) if data else None
