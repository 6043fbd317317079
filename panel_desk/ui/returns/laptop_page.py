"""The reviewer's "Packets and returns" page: the packets this database took from the hub,
the returns made from it, whether anything changed since the last one, and the two steps
a reviewer takes without the command line: import a (newer) packet, export a return.

The first packet of a new laptop is imported with `panel-desk packet import` (the app opens
on a database that already knows its reviewer); later ones can come in here.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput
from panel_desk.services.exchange import packet_import, returns
from panel_desk.services.exchange.laptop import LaptopExchange, laptop_exchange
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.returns.background import in_transaction
from panel_desk.ui.returns.passphrase import ask_passphrase
from panel_desk.ui.workspace import Workspace


def _when(moment) -> str:
    return f"{moment:%d %b %Y %H:%M}"


class LaptopExchangePage(QWidget):
    title: ClassVar[str] = "Packets and returns"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.REVIEWER})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("laptopExchangePage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.state: LaptopExchange | None = None
        self.advice = QLabel()
        self.advice.setObjectName("exchangeAdvice")
        self.advice.setWordWrap(True)
        self.history = QLabel()
        self.history.setObjectName("exchangeHistory")
        self.history.setWordWrap(True)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.history.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.export_button = QPushButton("&Export my return…")
        self.export_button.setObjectName("exportReturn")
        self.export_button.setToolTip(
            "Write every version of your reviews in this round, and the conflicts you "
            "declared, signed with your key, to send to the secretariat"
        )
        self.import_button = QPushButton("Import a &packet…")
        self.import_button.setObjectName("importPacket")
        self.import_button.setToolTip("Take a newer packet from the secretariat into this database")
        self.result = QLabel()
        self.result.setObjectName("exchangeResult")
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.advice)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(self.history, 1)
        self.export_button.clicked.connect(lambda: self.export_return())
        self.import_button.clicked.connect(lambda: self.import_packet())

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        self.state = None
        if summary is not None:
            self.state = self.workspace.read(
                laptop_exchange, self.workspace.person.email, summary.id
            )
        self.advice.setText(self._advice())
        self.history.setText(self._history())
        self.export_button.setEnabled(bool(self.state and self.state.from_packet))

    def refresh(self) -> None:
        self.show_round(self.summary)

    def _advice(self) -> str:
        state = self.state
        if state is None:
            return "No rounds yet: import the packet the secretariat sent you."
        if not state.from_packet:
            return (
                f"This database did not receive {state.round_ref} in a packet: you review it "
                "here directly, and there is nothing to send."
            )
        if state.unsent:
            return (
                "<b>You have changes the secretariat has not had yet.</b> Export a return and "
                "send it to them (drafts travel too; each return supersedes the one before)."
            )
        if state.returns:
            return "Everything here was in your last return."
        return "Nothing to send yet: score your reviews on the My reviews page."

    def _history(self) -> str:
        state = self.state
        if state is None or not state.from_packet:
            return ""
        lines = ["<b>Packets from the secretariat</b>"]
        lines += [
            f"Packet {p.sequence}: issued {_when(p.issued_at)} by {p.issued_by}, imported "
            f"{_when(p.imported_at)}"
            for p in state.packets
        ]
        lines.append("<br><b>Returns made here</b>")
        lines += [
            f"Return {r.sequence}: {_when(r.created_at)}, {r.file_name}" for r in state.returns
        ] or ["None yet."]
        return "<br>".join(lines)

    def export_return(self, path: Path | None = None) -> Path | None:
        summary, email = self.summary, self.workspace.person.email
        if summary is None:
            return None
        if path is None:
            count = len(self.state.returns) + 1 if self.state else 1
            name = f"{summary.ref}-{email.split('@')[0]}-{count}.pdreturn"
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Export my return", name, "Returns (*.pdreturn)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        try:
            passphrase = ask_passphrase(self, email)
        except BadInput as error:
            show_bad_input(self, "Export my return", error)
            return None
        target = path
        made = in_transaction(
            self,
            self.workspace,
            "Export my return",
            lambda session, progress: returns.export_return(
                session,
                email,
                target,
                round_ref=summary.ref,
                passphrase=passphrase,
                progress=progress,
            ),
            undo=lambda: target.unlink(missing_ok=True),
        )
        if made is None:
            return None
        self._done(
            f"Return {made.sequence} written to {made.path}: {made.submitted} submitted, "
            f"{made.drafts} draft(s), {made.declarations} conflict(s) declared. Send it to "
            "the secretariat."
        )
        return made.path

    def import_packet(self, path: Path | None = None) -> str | None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Import a packet", "", "Packets (*.pdpacket);;All files (*)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        source = path
        done = in_transaction(
            self,
            self.workspace,
            "Import a packet",
            lambda session, progress: packet_import.import_packet(
                session, source, progress=progress
            ),
        )
        if done is None:
            return None
        news = []
        if done.added:
            news.append(f"new: {', '.join(done.added)}")
        if done.withdrawn:
            news.append(f"withdrawn by the secretariat: {', '.join(done.withdrawn)}")
        message = f"Packet {done.sequence} for {done.round_ref} imported" + (
            f" ({'; '.join(news)})." if news else "."
        )
        self._done(message)
        reload = getattr(self.window(), "reload", None)
        if callable(reload):  # the main window: new assignments show on every page
            reload()
        return message

    def _done(self, message: str) -> None:
        self.result.setText(message)
        self.status.emit(message)
        self.refresh()
