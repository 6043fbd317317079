"""The Appeals page (the secretariat's): the round's register of complaints and appeals.

Each appeal with who made it, when, on what grounds, and how it ended; Lodge… records a
new one, Decide… upholds (reopening the decision, which voids the sign-off), dismisses or
records a withdrawal, and Save audit extract… writes the appealed submission's extract,
which anyone can re-check against the audit trail.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import appeals
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.appeals.dialogs import DecideDialog, LodgeDialog
from panel_desk.ui.assignment.tables import table_view
from panel_desk.ui.conflicts.list_model import Column, ListTableModel
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

STATUS_COLOURS = {"lodged": "#8a5a00", "upheld": "#b3261e", "dismissed": "#1b7f3a"}
COLUMNS = (
    Column("#", lambda a: str(a.id), lambda a: a.id, numeric=True),
    Column("Ref", lambda a: a.submission_ref, lambda a: a.submission_ref),
    Column("Appellant", lambda a: a.appellant, lambda a: a.appellant.casefold()),
    Column("Lodged", lambda a: a.lodged_on.isoformat(), lambda a: a.lodged_on),
    Column(
        "Status",
        lambda a: a.status + (f" (decision v{a.reopened_version})" if a.reopened_version else ""),
        lambda a: a.status,
        colour=lambda a: STATUS_COLOURS.get(a.status),
    ),
    Column("Decided by", lambda a: a.decided_by, lambda a: a.decided_by),
    Column("Grounds", lambda a: a.grounds, lambda a: a.grounds.casefold()),
    Column("Decision", lambda a: a.outcome, lambda a: a.outcome.casefold()),
)


class AppealsPage(QWidget):
    title: ClassVar[str] = "Appeals"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appealsPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.headline = QLabel()
        self.headline.setObjectName("appealsHeadline")
        self.headline.setWordWrap(True)
        self.model = ListTableModel(COLUMNS, lambda a: a.id, self)
        self.table = table_view(self.model, "appealsTable", "Appeals", 6)
        self.lodge_button = QPushButton("&Lodge an appeal…")
        self.lodge_button.setObjectName("lodgeAppeal")
        self.decide_button = QPushButton("&Decide…")
        self.decide_button.setObjectName("decideAppeal")
        self.extract_button = QPushButton("Save audit e&xtract…")
        self.extract_button.setObjectName("appealExtract")
        self.result = QLabel()
        self.result.setObjectName("appealsResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        actions = QHBoxLayout()
        for button in (self.lodge_button, self.decide_button, self.extract_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.result)
        self.lodge_button.clicked.connect(lambda: self.lodge())
        self.decide_button.clicked.connect(lambda: self.decide())
        self.extract_button.clicked.connect(lambda: self.save_extract())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self._enable()

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        rows = self.workspace.read(appeals.list_appeals, summary.ref) if summary else []
        self.model.set_rows(rows)
        for column in range(6):
            self.table.resizeColumnToContents(column)
        open_ = sum(1 for a in rows if a.status == "lodged")
        self.headline.setText(
            "No rounds yet."
            if summary is None
            else f"<b>{summary.ref}: {len(rows)} appeal(s), {open_} awaiting a decision.</b> "
            "Appeals are on grounds of procedural irregularity; upholding one reopens the "
            "decision and needs a new sign-off and decision pack."
        )
        self._enable()

    def refresh(self) -> None:
        self.show_round(self.summary)

    def chosen(self) -> appeals.AppealView | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        row = self.chosen()
        self.lodge_button.setEnabled(self.summary is not None)
        self.decide_button.setEnabled(row is not None and row.status == "lodged")
        self.extract_button.setEnabled(row is not None)

    def _run(self, title: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
        try:
            return self.workspace.run(fn, *args, **kw)
        except BadInput as error:
            show_bad_input(self, title, error)
            return None

    def lodge(self) -> appeals.AppealView | None:
        if self.summary is None:
            return None
        choices = self.workspace.read(appeals.appeal_choices, self.summary.ref)
        dialog = LodgeDialog(choices, self)
        if dialog.exec() != LodgeDialog.DialogCode.Accepted:
            return None
        ref, appellant, grounds, lodged_on = dialog.values()
        made = self._run(
            "Lodge an appeal",
            appeals.lodge_appeal,
            self.summary.ref,
            ref,
            grounds,
            appellant,
            self.workspace.person.email,
            lodged_on,
        )
        if made is not None:
            self._done(f"Appeal {made.id} on {made.submission_ref} lodged.")
        return made

    def decide(self) -> appeals.AppealView | None:
        row, summary = self.chosen(), self.summary
        if row is None or summary is None:
            return None
        choices = self.workspace.read(appeals.appeal_choices, summary.ref)
        dialog = DecideDialog(row, choices, self)
        if dialog.exec() != DecideDialog.DialogCode.Accepted:
            return None
        values = dialog.values()
        decision, reason = str(values.pop("decision")), str(values.pop("reason"))
        done = self._run(
            "Decide an appeal",
            appeals.decide_appeal,
            row.id,
            decision,
            reason,
            self.workspace.person.email,
            **values,
        )
        if done is not None:
            more = (
                f" The decision is reopened (version {done.reopened_version}): {summary.ref} "
                "needs a new sign-off and decision pack."
                if done.reopened_version
                else ""
            )
            self._done(f"Appeal {done.id} {done.status}.{more}")
        return done

    def save_extract(self, path: Path | None = None) -> Path | None:
        row = self.chosen()
        if row is None:
            return None
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                "Save the audit extract",
                f"appeal-{row.id}-{row.submission_ref}.json",
                "Audit extracts (*.json)",
            )
            if not chosen:
                return None
            path = Path(chosen)
        appeal_id, ref = row.id, row.submission_ref
        try:  # the extract checks the whole audit trail: off the GUI thread, with Cancel
            extract = run_in_background(
                self,
                f"Making the audit extract of {ref}",
                lambda progress: self.workspace.read(appeals.appeal_extract, appeal_id, progress),
            )
        except Cancelled:
            message = f"Saving the audit extract of {ref} was cancelled: no file was written."
            self.result.setText(message)
            self.status.emit(message)
            return None
        except BadInput as error:
            show_bad_input(self, "Save the audit extract", error)
            return None
        try:
            path.write_text(json.dumps(extract, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as exc:
            show_bad_input(self, "Save the audit extract", BadInput(str(path), str(exc)))
            return None
        events = len(extract["events"])
        self._done(f"Audit extract of {row.submission_ref} ({events} events) saved to {path}.")
        return path

    def _done(self, message: str) -> None:
        self.result.setText(message)
        self.status.emit(message)
        self.refresh()
