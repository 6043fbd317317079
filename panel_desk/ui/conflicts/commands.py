"""Decisions on conflict flags that Edit ▸ Undo can take back.

A decision is on the record the moment it is made, so undo never deletes it: undo and redo
each record a new, audited decision through `conflict_decisions.revert`, which puts the
flag back as the audit trail recorded it. If the flag changed meanwhile (a check of
conflicts, someone else's decision) the service refuses and says why; the command then
leaves the stack, since there is nothing left for it to take back.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from panel_desk.errors import BadInput
from panel_desk.services import conflict_decisions
from panel_desk.services.conflicts import FlagView
from panel_desk.ui.workspace import Workspace


class FlagDecision(QUndoCommand):
    """A decision already recorded when pushed (the first redo does nothing). `changed`
    is told of the flag as it is after each undo or redo, `failed` of a refusal."""

    def __init__(
        self,
        text: str,
        workspace: Workspace,
        flag_id: int,
        changed: Callable[[FlagView | None, str], None],
        failed: Callable[[BadInput], None],
    ) -> None:
        super().__init__(text)
        self.workspace, self.flag_id = workspace, flag_id
        self._changed, self._failed = changed, failed
        self._first = True

    def _revert(self, what: str) -> None:
        try:
            view = self.workspace.run(
                conflict_decisions.revert, self.flag_id, self.workspace.person.email
            )
        except BadInput as error:
            self.setObsolete(True)
            self._failed(error)
            self._changed(None, "")
            return
        self._changed(view, f"{what}: {self.text()}")

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._revert("Redone")

    def undo(self) -> None:
        self._revert("Undone")
