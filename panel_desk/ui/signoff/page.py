"""The Sign-off page: the EAG reads and signs the moderated recommendations of a round; the
secretariat exports the decision pack and verifies packs.

For an EAG member: the recommendations (outcome, conditions, rank and cut-line), their
own conflicts flagged on each submission they will abstain on, the signatures so far
against the quorum, and Sign off… (with the passphrase asked only if their key is kept
in a protected file). For the secretariat: Export decision pack… (off the GUI thread,
with progress and Cancel; nothing is left half-written) and Verify a pack… (a folder or a
.pdpack file, with the verdict check by check). Everyone sees what still blocks sign-off.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import packs, signoff
from panel_desk.services.decision_set import Decision
from panel_desk.services.exchange.verification import VerifyReport, verify_path
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.signoff import SignOffStatus
from panel_desk.services.signoff_conflicts import SignerConflict
from panel_desk.services.vocabulary import Role
from panel_desk.ui.assignment.tables import table_view
from panel_desk.ui.conflicts.list_model import ListTableModel
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.returns.background import in_transaction
from panel_desk.ui.returns.passphrase import ask_passphrase
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.signoff.dialogs import SignDialog, VerdictDialog
from panel_desk.ui.signoff.tables import (
    BAD,
    GOOD,
    SIGNATURE_COLUMNS,
    WARN,
    decision_html,
    recommendation_columns,
)
from panel_desk.ui.workspace import Workspace


class SignOffPage(QWidget):
    title: ClassVar[str] = "Sign-off"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.EAG, Role.SECRETARIAT})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signOffPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.current: SignOffStatus | None = None
        self.conflicts: dict[str, SignerConflict] = {}
        self.eag = workspace.role == Role.EAG

        self.headline = QLabel()
        self.headline.setObjectName("signOffHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.filter = QLineEdit(placeholderText="Filter recommendations by ref, title or outcome")
        self.filter.setObjectName("signOffFilter")
        self.filter.setClearButtonEnabled(True)
        self.model = ListTableModel(
            recommendation_columns(self._conflict_text, self._signing_text, self._short),
            lambda d: d.id,
            self,
        )
        self.table = table_view(self.model, "recommendationsTable", "Recommendations", 1)
        self.signatures = ListTableModel(SIGNATURE_COLUMNS, lambda s: s.id, self)
        self.signature_table = table_view(self.signatures, "signaturesTable", "Signatures", 4)
        self.signature_table.setSortingEnabled(False)
        self.table.setColumnHidden(6, not self.eag)  # "Your conflict": a member's own

        self.sign_button = QPushButton("&Sign off…")
        self.sign_button.setObjectName("signOff")
        self.sign_button.setToolTip("Sign the round's recommendations with your key")
        self.export_button = QPushButton("E&xport decision pack…")  # Alt+E is the Edit menu
        self.export_button.setObjectName("exportPack")
        self.export_button.setToolTip(
            "Write the signed decision record, the feedback letters and the manifest"
        )
        self.verify_button = QPushButton("Verify a &pack…")  # Alt+V is the View menu
        self.verify_button.setObjectName("verifyPack")
        self.verify_button.setToolTip(
            "Check a decision pack: open its manifest.json, or a .pdpack file"
        )
        self.result = QLabel()
        self.result.setObjectName("signOffResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(QLabel("<b>Signatures</b>"))
        lower_layout.addWidget(self.signature_table)
        self.detail = QTextBrowser()
        self.detail.setObjectName("decisionDetail")
        self.detail.setPlaceholderText("Choose a recommendation to read its rationale and scores.")
        across = QSplitter(Qt.Orientation.Horizontal)
        across.addWidget(self.table)
        across.addWidget(self.detail)
        across.setStretchFactor(0, 3)
        across.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(across)
        split.addWidget(lower)
        split.setSizes([420, 160])
        actions = QHBoxLayout()
        for button in (self.sign_button, self.export_button, self.verify_button):
            actions.addWidget(button)
        actions.addStretch(1)
        # hide(), never setVisible(True): a button not yet in a widget would open as a window.
        (self.export_button if self.eag else self.sign_button).hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.filter)
        layout.addWidget(split, 1)
        layout.addLayout(actions)
        layout.addWidget(self.result)

        self.filter.textChanged.connect(lambda text: self.model.set_filter(text))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        self.sign_button.clicked.connect(lambda: self.sign())
        self.export_button.clicked.connect(lambda: self.export_pack())
        self.verify_button.clicked.connect(lambda: self.verify_pack())
        self._enable()

    # --- showing ---------------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        self.current = None
        self.conflicts = {}
        if summary is not None:
            ref, me = summary.ref, self.workspace.person.email
            try:  # the recommendation set ranks the round: a large one off the GUI thread
                self.current, found = run_in_background(
                    self,
                    f"Reading the recommendations of {ref}",
                    lambda _progress: (
                        self.workspace.read(signoff.signoff_status, ref),
                        self.workspace.read(signoff.conflicts_for, ref, me) if self.eag else [],
                    ),
                    minimum_duration_ms=500,
                )
            except Cancelled:
                self.current, found = None, []
            # a member abstains only where there is a recommendation to sign
            considered = (
                {d.ref for d in self.current.decisions.considered} if self.current else set()
            )
            self.conflicts = {c.submission_ref: c for c in found if c.submission_ref in considered}
        self.headline.setText(self._headline())
        self.model.set_rows(self.current.decisions.decisions if self.current else [])
        self.signatures.set_rows(self.current.signatures if self.current else [])
        for column in (0, 2, 3, 4, 5, 7):
            self.table.resizeColumnToContents(column)
        if self.model.rowCount():
            self.table.selectRow(0)
        self._show_detail()
        for column in (0, 1, 2):
            self.signature_table.resizeColumnToContents(column)
        self._enable()

    def refresh(self) -> None:
        self.show_round(self.summary)

    def _show_detail(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid() or self.current is None:
            self.detail.clear()
            return
        self.detail.setHtml(decision_html(self.model.row_at(index.row()), self.current))

    def _conflict_text(self, d: Decision) -> str:
        found = self.conflicts.get(d.ref)
        return "; ".join(found.reasons) if found and d.considered else ""

    def _signing_text(self, d: Decision) -> str:
        if self.current is None or not d.considered:
            return ""
        return str(sum(1 for s in self.current.counting if d.ref not in s.abstentions))

    def _short(self, d: Decision) -> bool:
        if self.current is None or not d.considered:
            return False
        return int(self._signing_text(d)) < self.current.quorum

    def _headline(self) -> str:
        status = self.current
        if status is None:
            return "No rounds yet." if self.summary is None else "Not read: press F5 to read again."
        colour = GOOD if status.complete else (BAD if status.blockers else WARN)
        text = f"<b style='color:{colour}'>{status.headline()}</b>"
        text += f"<br/><small>Recommendation set SHA-256 <tt>{status.digest}</tt></small>"
        if status.blockers:
            shown = "".join(f"<li>{b}</li>" for b in status.blockers[:5])
            more = (
                f"<li>… and {len(status.blockers) - 5} more</li>"
                if len(status.blockers) > 5
                else ""
            )
            text += f"<ul>{shown}{more}</ul>"
        mine = [s for s in status.counting if s.signer == self.workspace.person.email]
        if self.eag and mine:
            text += f"<br/>You signed on {mine[0].signed_at:%-d %B %Y at %H:%M}"
            refs = ", ".join(mine[0].abstentions)
            text += f", abstaining on {refs}." if refs else "."
        elif self.eag and self.conflicts:
            n = len(self.conflicts)
            text += (
                f"<br/><span style='color:{WARN}'>You are conflicted on {n} "
                f"submission{'s' if n > 1 else ''}: you abstain on "
                f"{'them' if n > 1 else 'it'} when you sign.</span>"
            )
        return text

    def _enable(self) -> None:
        status = self.current
        mine = self.workspace.person.email
        signed = status is not None and any(
            s.signer == mine and s.counts for s in status.signatures
        )
        self.sign_button.setEnabled(
            status is not None
            and not status.blockers
            and bool(status.decisions.considered)
            and not signed
        )
        self.export_button.setEnabled(status is not None and status.complete)

    # --- work ------------------------------------------------------------------------------

    def sign(self, statement: str | None = None) -> bool:
        """Sign off the round as the acting member (asking what to say unless `statement`)."""
        status, summary = self.current, self.summary
        if status is None or summary is None:
            return False
        me = self.workspace.person.email
        if statement is None:
            dialog = SignDialog(status, list(self.conflicts.values()), me, self)
            if dialog.exec() != SignDialog.DialogCode.Accepted:
                return False
            statement = dialog.statement_text
        try:
            passphrase = ask_passphrase(self, me)
        except BadInput as error:
            show_bad_input(self, "Sign off", error)
            return False
        text = statement
        done = in_transaction(
            self,
            self.workspace,
            "Sign off",
            lambda session, _progress: signoff.sign_off(
                session, summary.ref, me, passphrase=passphrase, statement_text=text
            ),
        )
        if done is None:
            return False
        self._done(f"{summary.ref} signed off by {me}. {done.status.headline()}")
        return True

    def export_pack(self, path: Path | None = None) -> packs.ExportedPack | None:
        """Write the round's decision pack to `path` (asked for when None)."""
        status, summary = self.current, self.summary
        if status is None or summary is None:
            return None
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                f"Export the decision pack of {summary.ref}",
                f"{summary.ref}-decision-pack",
                "A new folder (*);;One file (*.pdpack)",
            )
            if not chosen:
                return None
            path = Path(chosen)
        passphrases: dict[str, str | None] = {}
        try:
            for signature in status.counting:
                passphrases[signature.signer] = ask_passphrase(self, signature.signer)
        except BadInput as error:
            show_bad_input(self, "Export the decision pack", error)
            return None
        target, actor = path, self.workspace.person.email

        def undo() -> None:  # cancelled at the last moment: take the finished pack away
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)

        made = in_transaction(
            self,
            self.workspace,
            "Export the decision pack",
            lambda session, progress: packs.export_pack(
                session,
                summary.ref,
                target,
                actor=actor,
                passphrase_for=lambda email: passphrases.get(email),
                progress=progress,
            ),
            undo=undo,
        )
        if made is None:
            return None
        self._done(
            f"Decision pack of {made.round_ref} written to {made.path}: {made.files} files, "
            f"{made.letters} feedback letters, signed by {', '.join(made.signatories)}."
        )
        return made

    def verify_pack(self, path: Path | None = None, *, show: bool = True) -> VerifyReport | None:
        """Verify the pack at `path` (asked for when None) and show the verdict."""
        if path is None:  # one dialog for both forms: a pack folder's manifest, or a file
            chosen, _ = QFileDialog.getOpenFileName(
                self,
                "Verify a decision pack: its manifest.json, or a .pdpack file",
                "",
                "Decision packs (manifest.json *.pdpack);;All files (*)",
            )
            if not chosen:
                return None
            path = Path(chosen)
        if path.name == "manifest.json":
            path = path.parent
        source = path
        try:
            report = run_in_background(
                self,
                "Verify a decision pack",
                lambda _progress: self.workspace.read(verify_path, source),
            )
        except Cancelled:
            return None
        verdict = "valid" if report.valid else f"NOT valid ({len(report.failures)} failed)"
        self._done(f"{path}: {verdict}.")
        if show:
            VerdictDialog(report, self).exec()
        return report

    def _done(self, message: str) -> None:
        self.result.setText(message)
        self.status.emit(message)
        self.refresh()
