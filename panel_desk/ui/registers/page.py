"""The Registers page: endorsed credentials and approved providers, as signed-off decisions
make them, the annual returns owed, and the imports that feed annotations and returns.

Nothing here edits a register: they change only when the EAG signs a decision off. The
secretariat exports them (CSV, JSON, or a PDF listing signed with their key), imports
practitioners' completions and providers' annual returns (all or nothing, every refused
row listed), and looks a practitioner up.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput
from panel_desk.services import annotations, annual_returns, register_export, register_views
from panel_desk.services.annotations import RowsRefused
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.assignment.tables import table_view
from panel_desk.ui.conflicts.list_model import Column, ListTableModel
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.workspace import Workspace

STATE_COLOURS = {"missing": "#b3261e", "late": "#8a5a00", "received": "#1b7f3a"}
CREDENTIALS = (
    Column("Credential", lambda c: c.title, lambda c: c.title.casefold()),
    Column("Reference", lambda c: c.reference, lambda c: c.reference),
    Column("Developed by", lambda c: c.developed_by, lambda c: c.developed_by.casefold()),
    Column("Endorsed", lambda c: c.endorsed_on.isoformat(), lambda c: c.endorsed_on),
    Column("Review due", lambda c: c.review_due.isoformat(), lambda c: c.review_due),
    Column("Conditions", lambda c: c.conditions or "—", lambda c: c.conditions),
)
APPROVALS = (
    Column("Credential", lambda a: a.credential_title, lambda a: a.credential_title.casefold()),
    Column("Provider", lambda a: a.provider, lambda a: a.provider.casefold()),
    Column("Approved", lambda a: a.approved_on.isoformat(), lambda a: a.approved_on),
    Column("Renewal due", lambda a: a.renewal_due.isoformat(), lambda a: a.renewal_due),
    Column("Conditions", lambda a: a.conditions or "—", lambda a: a.conditions),
)
RETURNS = (
    Column("Year", lambda r: r.year_label, lambda r: r.year),
    Column("Credential", lambda r: r.credential, lambda r: r.credential.casefold()),
    Column("Provider", lambda r: r.provider, lambda r: r.provider.casefold()),
    Column("Due", lambda r: r.due.isoformat(), lambda r: r.due),
    Column(
        "Received",
        lambda r: r.received_on.isoformat() if r.received_on else "—",
        lambda r: r.received_on or r.due,
    ),
    Column(
        "State", lambda r: r.state, lambda r: r.state, colour=lambda r: STATE_COLOURS.get(r.state)
    ),
)


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 4, 0, 0)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(widget, 1)
    return box


class RegistersPage(QWidget):
    title: ClassVar[str] = "Registers"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT, Role.EAG})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registersPage")
        self.workspace = workspace
        self.view: register_views.RegistersView | None = None
        self.headline = QLabel()
        self.headline.setObjectName("registersHeadline")
        self.headline.setWordWrap(True)
        self.credentials = ListTableModel(CREDENTIALS, lambda c: c.id, self)
        self.approvals = ListTableModel(APPROVALS, lambda a: hash(a.reference), self)
        self.returns = ListTableModel(
            RETURNS, lambda r: hash((r.provider, r.credential, r.year)), self
        )
        self.credentials_table = table_view(
            self.credentials, "credentialsRegister", "Endorsed credentials", 5
        )
        self.approvals_table = table_view(
            self.approvals, "providersRegister", "Approved providers", 4
        )
        self.returns_table = table_view(self.returns, "annualReturns", "Annual returns", 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(_titled("Endorsed credentials", self.credentials_table))
        splitter.addWidget(_titled("Approved providers", self.approvals_table))
        splitter.addWidget(_titled("Annual returns owed", self.returns_table))
        self.buttons: dict[str, QPushButton] = {}
        actions = QHBoxLayout()
        for name, text, slot in (
            ("exportCredentials", "Export &credentials…", lambda: self.export("credentials")),
            ("exportProviders", "Export &providers…", lambda: self.export("providers")),
            ("importCompletions", "Import c&ompletions…", lambda: self.import_completions()),
            ("importReturns", "Import annual &return…", lambda: self.import_returns()),
        ):
            button = QPushButton(text)
            button.setObjectName(name)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[name] = button
        actions.addStretch(1)
        self.lookup = QLineEdit()
        self.lookup.setObjectName("practitionerLookup")
        self.lookup.setPlaceholderText("Practitioner id or name")
        self.lookup.setAccessibleName("Practitioner lookup")
        self.lookup.returnPressed.connect(lambda: self.look_up())
        lookup = QHBoxLayout()  # a row of its own: the page stays narrow enough to resize
        lookup.addWidget(QLabel("Look up a practitioner:"))
        lookup.addWidget(self.lookup, 1)
        self.result = QLabel()
        self.result.setObjectName("registersResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(splitter, 1)
        layout.addLayout(actions)
        layout.addLayout(lookup)
        layout.addWidget(self.result)
        for table in (self.credentials_table, self.approvals_table, self.returns_table):
            table.setMinimumHeight(48)
        secretariat = workspace.role == Role.SECRETARIAT
        for name in ("importCompletions", "importReturns"):
            self.buttons[name].setEnabled(secretariat)

    def show_round(self, summary: RoundSummary | None) -> None:
        self.refresh()

    def refresh(self) -> None:
        view = self.workspace.read(register_views.registers_view)
        self.view = view
        self.credentials.set_rows(view.credentials)
        self.approvals.set_rows(view.approvals)
        self.returns.set_rows(view.returns)
        for table in (self.credentials_table, self.approvals_table, self.returns_table):
            table.resizeColumnsToContents()
        late = sum(r.state in ("late", "missing") for r in view.returns)
        self.headline.setText(
            f"<b>As at {view.as_of:%-d %B %Y}: {len(view.credentials)} credential(s) endorsed, "
            f"{len(view.approvals)} provider approval(s), {late} annual return(s) late or "
            "missing.</b> The registers change only when the Education Assurance Group signs "
            "a decision off."
        )

    def _done(self, message: str) -> None:
        self.result.setText(message)
        self.status.emit(message)
        self.refresh()

    def _run(self, title: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
        try:
            return self.workspace.run(fn, *args, **kw)
        except RowsRefused as error:
            listed = "\n".join(f"row {n}: {why}" for n, why in error.rows)
            show_bad_input(
                self,
                title,
                BadInput(error.source, f"{len(error.rows)} row(s) refused:\n{listed}"),
            )
        except BadInput as error:
            show_bad_input(self, title, error)
        return None

    def export(self, kind: str, path: Path | None = None) -> Path | None:
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                f"Export the register of {kind}",
                f"{kind}.csv",
                "CSV (*.csv);;JSON (*.json);;Signed PDF listing (*.pdf)",
            )
            if not chosen:
                return None
            path = Path(chosen)
        email = self.workspace.person.email
        done = self._run(
            "Export a register", register_export.export_register, kind, path, email, signer=email
        )
        if done is None:
            return None
        signed = f", signed by {done.signed_by}" if done.signed_by else ""
        self._done(f"Register of {kind}: {done.entries} entries written to {done.path}{signed}.")
        return done.path

    def import_completions(self, path: Path | None = None) -> int | None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Import completions", "", "CSV (*.csv)")
            if not chosen:
                return None
            path = Path(chosen)
        done = self._run(
            "Import completions",
            annotations.import_completions,
            path,
            self.workspace.person.email,
        )
        if done is None:
            return None
        self._done(
            f"{done.added} completion(s) annotated from {path.name}; {done.already} already."
        )
        return done.added

    def import_returns(self, path: Path | None = None, provider: str | None = None) -> int | None:
        if provider is None:
            providers = self.view.providers if self.view else []
            if not providers:
                show_bad_input(
                    self,
                    "Import an annual return",
                    BadInput("provider", "no provider is approved yet"),
                )
                return None
            provider, ok = QInputDialog.getItem(
                self, "Import an annual return", "Whose return is it?", providers, 0, False
            )
            if not ok:
                return None
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, f"The annual return of {provider}", "", "CSV (*.csv)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        done = self._run(
            "Import an annual return",
            annual_returns.import_annual_returns,
            path,
            provider,
            self.workspace.person.email,
        )
        if done is None:
            return None
        self._done(
            f"Annual return of {done.provider}: {done.added} added, {done.corrected} corrected."
        )
        return done.added + done.corrected

    def look_up(self) -> None:
        try:
            found = self.workspace.read(annotations.practitioner_lookup, self.lookup.text())
        except BadInput as error:
            self.result.setText(error.problem)
            return
        self.result.setText(
            "<br>".join(
                f"<b>{escape(a.practitioner_id)} {escape(a.name)}</b>: {escape(a.credential)} "
                f"({escape(a.credential_reference)}), with {escape(a.provider)}, "
                f"completed {a.completed_on:%-d %b %Y}"
                for a in found
            )
        )
