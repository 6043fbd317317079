"""What the main window expects of a page (Submissions, Conflicts, Assignment, …).

A page shows one round at a time. The main window lists the pages the acting role may
use as tabs, tells the current page when the round changes, and asks it to read the
database again after a change made elsewhere. A new capability adds a page; the main
window does not grow.
"""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from PySide6.QtWidgets import QWidget

from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.workspace import Workspace


@runtime_checkable
class RoundPage(Protocol):
    title: ClassVar[str]
    roles: ClassVar[frozenset[Role]]  # who may open the page

    def show_round(self, summary: RoundSummary | None) -> None:
        """Show `summary`'s round (None: there are no rounds)."""

    def refresh(self) -> None:
        """Read again what the page shows; something changed."""


class PageFactory(Protocol):
    title: ClassVar[str]
    roles: ClassVar[frozenset[Role]]

    def __call__(self, workspace: Workspace, parent: QWidget | None = None) -> QWidget: ...


EVERYONE = frozenset(Role)
