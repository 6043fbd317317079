"""Undoable changes to teams: each does its work through the assignment service (the one
door, which checks conflicts every time), so undoing a withdrawal is refused, and says why,
if the person has become conflicted meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from panel_desk.errors import BadInput
from panel_desk.services import assignment_changes
from panel_desk.ui.workspace import Workspace

Pairs = list[tuple[str, str]]  # (submission ref, reviewer e-mail)


class TeamChange(QUndoCommand):
    """A change already made when pushed (the first redo does nothing); undo and redo
    call the services again. `changed` is told after each, `failed` of any refusal."""

    def __init__(
        self,
        text: str,
        workspace: Workspace,
        round_ref: str,
        pairs: Pairs,
        adding: bool,
        changed: Callable[[], None],
        failed: Callable[[BadInput], None],
    ) -> None:
        super().__init__(text)
        self.workspace, self.round_ref, self.pairs, self.adding = (
            workspace,
            round_ref,
            pairs,
            adding,
        )
        self._changed, self._failed = changed, failed
        self._first = True

    def _add(self) -> None:
        me = self.workspace.person.email
        if len(self.pairs) == 1:
            ref, email = self.pairs[0]
            self.workspace.run(assignment_changes.assign_reviewer, self.round_ref, ref, email, me)
        else:
            self.workspace.run(
                assignment_changes.assign_many,
                self.round_ref,
                self.pairs,
                me,
                f"redo: {self.text()}",
            )

    def _remove(self) -> None:
        me = self.workspace.person.email
        self.workspace.run(
            assignment_changes.withdraw_many, self.round_ref, self.pairs, me, f"undo: {self.text()}"
        )

    def _apply(self, add: bool) -> None:
        try:
            self._add() if add else self._remove()
        except BadInput as error:
            self._failed(error)
        self._changed()

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._apply(self.adding)

    def undo(self) -> None:
        self._apply(not self.adding)
