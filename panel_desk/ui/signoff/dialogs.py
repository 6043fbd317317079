"""The sign-off dialog (what the member signs, where they abstain, what they say) and the
verdict of a verified decision pack, check by check."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services.exchange.verification import VerifyReport
from panel_desk.services.signoff import SignOffStatus
from panel_desk.services.signoff_conflicts import SignerConflict
from panel_desk.ui.signoff.tables import BAD, GOOD


class SignDialog(QDialog):
    """Sign the round's recommendation set: the digest, the abstentions, a statement."""

    def __init__(
        self,
        status: SignOffStatus,
        conflicts: Sequence[SignerConflict],
        signer: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signDialog")
        self.setWindowTitle(f"Sign off {status.round_ref}")
        self.setMinimumWidth(560)
        considered = len(status.decisions.considered)
        intro = QLabel(
            f"<p>You sign, as <b>{signer}</b>, the moderated recommendations on "
            f"<b>{considered}</b> submissions of {status.round_ref} — {status.round_title}, "
            "with your key. Any later change to a recommendation voids every signature.</p>"
            f"<p>Recommendation set SHA-256:<br/><tt>{status.digest}</tt></p>"
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        if conflicts:
            lines = "".join(
                f"<li><b>{c.submission_ref}</b>: {'; '.join(c.reasons)}</li>" for c in conflicts
            )
            warning = QLabel(
                f"<p style='color:#8a5a00'><b>You are conflicted on {len(conflicts)} "
                "submission(s)</b> and abstain on them: your signature records it.</p>"
                f"<ul>{lines}</ul>"
            )
            warning.setObjectName("signConflicts")
            warning.setWordWrap(True)
            layout.addWidget(warning)
        layout.addWidget(QLabel("Statement (optional; e.g. how you handled a conflict):"))
        self.statement = QPlainTextEdit()
        self.statement.setObjectName("signStatement")
        self.statement.setTabChangesFocus(True)
        self.statement.setMaximumHeight(90)
        layout.addWidget(self.statement)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.sign_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_button.setText("&Sign")
        self.sign_button.setObjectName("signConfirm")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @property
    def statement_text(self) -> str:
        return self.statement.toPlainText().strip()


class VerdictDialog(QDialog):
    """What `verify` found: the verdict, then each check with the file it is about."""

    def __init__(self, report: VerifyReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictDialog")
        self.setWindowTitle("Decision pack verified" if report.valid else "Decision pack NOT valid")
        self.resize(820, 460)
        colour = GOOD if report.valid else BAD
        verdict = (
            "Valid: every check holds."
            if report.valid
            else f"NOT valid: {len(report.failures)} check(s) failed."
        )
        self.verdict = QLabel(
            f"<b style='color:{colour}; font-size:14pt'>{verdict}</b><br/>{report.path}"
        )
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.table = QTableWidget(len(report.checks), 3)
        self.table.setObjectName("verdictChecks")
        self.table.setHorizontalHeaderLabels(["", "File or check", "Finding"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for row, check in enumerate(report.checks):
            mark = QTableWidgetItem("ok" if check.ok else "FAIL")
            mark.setForeground(Qt.GlobalColor.darkGreen if check.ok else Qt.GlobalColor.red)
            self.table.setItem(row, 0, mark)
            self.table.setItem(row, 1, QTableWidgetItem(check.name))
            detail = QTableWidgetItem(check.detail)
            detail.setToolTip(check.detail)
            self.table.setItem(row, 2, detail)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
