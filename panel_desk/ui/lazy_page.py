"""A page listed by where its class is, imported and built the first time it is shown.

The main window lists every page (PAGES) and shows one: importing all fourteen pages and
the services behind them (PDF drawing, signing, exchange files) and building each one
took longer than everything else at start. A `LazyPage` carries what the window needs
before the page exists (its tab's title, who may open it) and satisfies `PageFactory`;
tests/ui/test_lazy_pages.py holds each title and roles to its class's own, so the two
cannot drift apart.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from panel_desk.services.vocabulary import Role
from panel_desk.ui.views import PageFactory
from panel_desk.ui.workspace import Workspace


@dataclass(frozen=True)
class LazyPage:
    module: str
    name: str
    title: str
    roles: frozenset[Role]

    def load(self) -> PageFactory:
        return getattr(importlib.import_module(self.module), self.name)

    def __call__(self, workspace: Workspace, parent: QWidget | None = None) -> QWidget:
        return self.load()(workspace, parent)


def lazy(where: str, title: str, *roles: Role) -> LazyPage:
    """`lazy("panel_desk.ui.audit.page:AuditPage", "Audit", Role.SECRETARIAT, Role.EAG)`;
    no roles: everyone's."""
    module, name = where.split(":")
    return LazyPage(module, name, title, frozenset(roles or Role))
