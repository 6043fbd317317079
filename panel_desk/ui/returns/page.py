"""The Returns page (the secretariat's): per reviewer in the round, the packets issued, the
returns received, reviews submitted of those to do, what is outstanding, and who is overdue
against the review deadline; a packet exported for the chosen reviewer, a return imported.

Exports and imports run off the GUI thread (ui/runner.py) in one transaction each; a bad
file is shown in a dialog naming it and saying nothing changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput
from panel_desk.services.exchange import packets, return_import
from panel_desk.services.exchange.tracking import ReturnsOverview, ReviewerProgress, round_returns
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.assignment.tables import table_view
from panel_desk.ui.conflicts.list_model import ListTableModel
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.returns.background import in_transaction
from panel_desk.ui.returns.passphrase import ask_passphrase
from panel_desk.ui.returns.table import BAD, COLUMNS, SHOWN
from panel_desk.ui.workspace import Workspace


class ReturnsPage(QWidget):
    title: ClassVar[str] = "Returns"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("returnsPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.overview: ReturnsOverview | None = None

        self.headline = QLabel()
        self.headline.setObjectName("returnsHeadline")
        self.headline.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setObjectName("returnsFilter")
        self.filter.setPlaceholderText("Filter reviewers by name or e-mail")
        self.filter.setClearButtonEnabled(True)
        self.shown = QComboBox()
        self.shown.setObjectName("returnsShown")
        for label, _ in SHOWN:
            self.shown.addItem(label)
        self.model = ListTableModel(COLUMNS, lambda r: r.person_id, self)
        self.table = table_view(
            self.model, "returnsTable", "Reviewers and their returns", len(COLUMNS) - 1
        )
        self.export_button = QPushButton("Export &packet…")
        self.export_button.setObjectName("exportPacket")
        self.export_button.setToolTip(
            "Write the chosen reviewer's signed packet: their assignments, documents and the "
            "criteria, nothing of anyone else's"
        )
        self.import_button = QPushButton("&Import return…")
        self.import_button.setObjectName("importReturn")
        self.import_button.setToolTip(
            "Verify a reviewer's signed return, then import it whole (or not at all)"
        )
        self.result = QLabel()
        self.result.setObjectName("returnsResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        filters = QHBoxLayout()
        filters.addWidget(self.filter, 1)
        filters.addWidget(self.shown)
        actions = QHBoxLayout()
        actions.addWidget(self.export_button)
        actions.addWidget(self.import_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.result)

        self.filter.textChanged.connect(self._filter)
        self.shown.currentIndexChanged.connect(self._filter)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.export_button.clicked.connect(lambda: self.export_packet())
        self.import_button.clicked.connect(lambda: self.import_return())
        self._enable()

    # --- showing ---------------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        if summary is None:
            self.overview = None
            self.headline.setText("No rounds yet.")
            self.model.set_rows([])
        else:
            self.overview = self.workspace.read(round_returns, summary.ref)
            self.headline.setText(self._headline(self.overview))
            current = self.chosen()
            self.model.set_rows(self.overview.reviewers)
            for column in (0, 1, 6, 7):
                self.table.resizeColumnToContents(column)
            if current is not None:
                self.choose(current.email)
        self._enable()

    def refresh(self) -> None:
        self.show_round(self.summary)

    @staticmethod
    def _headline(overview: ReturnsOverview) -> str:
        text = overview.headline()
        if overview.overdue:
            return f'<span style="color:{BAD}"><b>{text}</b></span>'
        return f"<b>{text}</b>"

    def _filter(self) -> None:
        accept = SHOWN[self.shown.currentIndex()][1]
        self.model.set_filter(self.filter.text(), accept)
        self._enable()

    def chosen(self) -> ReviewerProgress | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def choose(self, email: str) -> bool:
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).email == email:
                self.table.selectRow(row)
                self.table.setCurrentIndex(self.model.index(row, 0))
                return True
        return False

    def _enable(self) -> None:
        row = self.chosen()
        self.export_button.setEnabled(
            self.summary is not None and row is not None and row.to_review > 0
        )
        self.import_button.setEnabled(self.summary is not None)

    # --- work ------------------------------------------------------------------------------

    def export_packet(self, path: Path | None = None) -> Path | None:
        """Write the chosen reviewer's packet to `path` (asked for when None)."""
        row, summary = self.chosen(), self.summary
        if row is None or summary is None:
            return None
        if path is None:
            name = f"{summary.ref}-{row.email.split('@')[0]}.pdpacket"
            chosen, _ = QFileDialog.getSaveFileName(
                self, f"Export the packet for {row.name}", name, "Packets (*.pdpacket)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        signer = self.workspace.person.email
        try:
            passphrase = ask_passphrase(self, signer)
        except BadInput as error:
            show_bad_input(self, "Export a packet", error)
            return None
        target = path

        issued = in_transaction(
            self,
            self.workspace,
            "Export a packet",
            lambda session, progress: packets.export_packet(
                session,
                summary.ref,
                row.email,
                target,
                as_email=signer,
                passphrase=passphrase,
                progress=progress,
            ),
            undo=lambda: target.unlink(missing_ok=True),
        )
        if issued is None:
            return None
        message = (
            f"Packet {issued.sequence} for {row.name} written to {issued.path}: "
            f"{len(issued.submissions)} submission(s), {issued.documents} document(s)."
        )
        if not issued.reviewer_enrolled:
            message += " They have no enrolled key yet: their return will be refused until they do."
        self._done(message)
        return issued.path

    def import_return(self, path: Path | None = None) -> return_import.ReturnImported | None:
        """Verify and import the return at `path` (asked for when None)."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Import a return", "", "Returns (*.pdreturn);;All files (*)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        actor = self.workspace.person.email
        source = path
        done = in_transaction(
            self,
            self.workspace,
            "Import a return",
            lambda session, progress: return_import.import_return(
                session, source, actor, progress=progress
            ),
        )
        if done is None:
            return None
        if done.already:
            self._done(f"{path.name} was already imported; nothing changed.")
        else:
            new = ", ".join(f"{ref} v{v}" for ref, v in done.new_versions) or "no new versions"
            declared = f"; conflicts declared: {', '.join(done.declarations)}" * bool(
                done.declarations
            )
            self._done(
                f"Return {done.sequence} from {done.reviewer} imported: {new}; "
                f"{len(done.updated_drafts)} draft(s) updated{declared}."
            )
            self.choose(done.reviewer)
        return done

    def _done(self, message: str) -> None:
        self.result.setText(message)
        self.status.emit(message)
        self.refresh()
