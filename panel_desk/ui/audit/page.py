"""The Audit page: the trail's verdict, and its events filtered by submission and person.

Read-only for everyone who may open it (the secretariat, and the EAG, whose oversight the
trail serves). The verdict comes from walking the whole chain each time the page is
shown or refreshed, so what it says is never older than what the table lists.
"""

from __future__ import annotations

import json
from html import escape
from typing import ClassVar

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from panel_desk.services import audit, audit_views
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.audit.table_model import AuditTableModel
from panel_desk.ui.workspace import Workspace

THIS_ROUND, EVERYTHING = "round", "all"


def verdict_html(report: audit.ChainReport) -> str:
    if report.intact:
        return (
            f"<span style='color:#1b7f3a; font-weight:bold'>Audit trail intact</span>: "
            f"{report.events} events, every one chained to the one before; "
            f"{escape(report.seal_note)}. <span style='color:#6f6f6f'>Head "
            f"{report.head_hash[:16]}…</span>"
        )
    return (
        f"<span style='color:#b3261e; font-weight:bold'>Audit trail broken at event "
        f"{report.broken_at}</span>: {escape(report.problem)}. Events from there on cannot "
        "be trusted; restore a backup and report it."
    )


def event_html(event: audit_views.EventView) -> str:
    payload = json.dumps(event.payload_data(), indent=2, ensure_ascii=False)
    return (
        f"<p><b>Event {event.seq}</b> · {event.at:%d %b %Y %H:%M:%S} UTC</p>"
        f"<p>{escape(event.actor)} — <b>{escape(event.action)}</b> — {escape(event.subject)}</p>"
        f"<pre>{escape(payload)}</pre>"
        f"<p style='color:#6f6f6f'>hash {event.hash}</p>"
    )


class AuditPage(QWidget):
    title: ClassVar[str] = "Audit"
    roles: ClassVar[frozenset[Role]] = frozenset({Role.SECRETARIAT, Role.EAG})

    status = Signal(str)

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditPage")
        self.workspace = workspace
        self.summary: RoundSummary | None = None
        self.report: audit.ChainReport | None = None
        self._total = 0

        self.verdict = QLabel()
        self.verdict.setObjectName("auditVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setMargin(6)
        self.scope = QComboBox()
        self.scope.setObjectName("auditScope")
        self.scope.setAccessibleName("Which events")
        self.submission = QComboBox()
        self.submission.setObjectName("auditSubmission")
        self.submission.setAccessibleName("Submission")
        self.submission.setMinimumContentsLength(10)
        self.person = QComboBox()
        self.person.setObjectName("auditPerson")
        self.person.setAccessibleName("Person")
        self.person.setMinimumContentsLength(18)
        self.search = QLineEdit(placeholderText="Search who, action, subject")
        self.search.setObjectName("auditSearch")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("auditCount")

        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setAccessibleName("Audit events")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 56), (1, 150), (2, 210), (3, 190)):
            self.table.setColumnWidth(column, width)
        self.detail = QTextBrowser()
        self.detail.setObjectName("auditEventDetail")
        self.detail.setAccessibleName("Audit event")

        bar = QHBoxLayout()
        for label, widget in (
            ("Show", self.scope),
            ("Submission", self.submission),
            ("Person", self.person),
        ):
            caption = QLabel(f"{label}:")
            caption.setBuddy(widget)
            bar.addWidget(caption)
            bar.addWidget(widget)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setSizes([520, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.verdict)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self.scope.currentIndexChanged.connect(self._scope_changed)
        self.submission.currentIndexChanged.connect(self._load_events)
        self.person.currentIndexChanged.connect(self._load_events)
        self.search.textChanged.connect(self._search)
        self.table.selectionModel().currentRowChanged.connect(self._event_chosen)

    # --- RoundPage -----------------------------------------------------------------------

    def show_round(self, summary: RoundSummary | None) -> None:
        self.summary = summary
        self._fill_filters()
        self._load()

    def refresh(self) -> None:
        self._load()

    # --- filters -------------------------------------------------------------------------

    def _fill_filters(self) -> None:
        """Fill the choices for the round shown, keeping what was chosen where it still is."""
        scope, submission = self.scope.currentData(), self.submission.currentData()
        for combo in (self.scope, self.submission):
            combo.blockSignals(True)
        self.scope.clear()
        if self.summary is not None:
            self.scope.addItem(f"Events of {self.summary.ref}", THIS_ROUND)
        self.scope.addItem("Every event", EVERYTHING)
        self.submission.clear()
        self.submission.addItem("Any submission", "")
        if self.summary is not None:
            for ref in self.workspace.read(audit_views.submission_refs, self.summary.ref):
                self.submission.addItem(ref, f"{self.summary.ref}/{ref}")
        self.scope.setCurrentIndex(max(self.scope.findData(scope), 0))
        self.submission.setCurrentIndex(max(self.submission.findData(submission), 0))
        self.submission.setEnabled(self.scope.currentData() == THIS_ROUND)
        for combo in (self.scope, self.submission):
            combo.blockSignals(False)
        self._fill_people()

    def _round_ref(self) -> str | None:
        if self.scope.currentData() == THIS_ROUND and self.summary is not None:
            return self.summary.ref
        return None

    def _fill_people(self) -> None:
        chosen = self.person.currentData()
        self.person.blockSignals(True)
        self.person.clear()
        self.person.addItem("Anyone", "")
        for email in self.workspace.read(audit_views.people_in_trail, self._round_ref()):
            self.person.addItem(email, email)
        index = self.person.findData(chosen) if chosen else 0
        self.person.setCurrentIndex(max(index, 0))
        self.person.blockSignals(False)

    def _scope_changed(self) -> None:
        self.submission.setEnabled(self.scope.currentData() == THIS_ROUND)
        self._fill_people()
        self._load_events()

    def choose(self, submission: str = "", person: str = "") -> None:
        """Filter by a submission ("ROUND/REF") and a person, as a user picking them would."""
        if submission:
            self.submission.setCurrentIndex(max(self.submission.findData(submission), 0))
        if person:
            self.person.setCurrentIndex(max(self.person.findData(person), 0))

    # --- loading -------------------------------------------------------------------------

    def _load(self) -> None:
        self.report = self.workspace.read(audit.verify_chain)
        self.verdict.setText(verdict_html(self.report))
        self.verdict.setProperty("intact", self.report.intact)
        self._load_events()

    def _load_events(self) -> None:
        submission = self.submission.currentData() if self.submission.isEnabled() else ""
        page = self.workspace.read(
            audit_views.list_events,
            round_ref=self._round_ref(),
            submission=submission or None,
            person=self.person.currentData() or None,
        )
        broken = self.report.broken_at if self.report is not None else None
        self.model.set_events(page.events, broken)
        self._show_count(page.total)
        if self.model.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        else:
            self.detail.setHtml("<p style='color:#6f6f6f'>No events match.</p>")

    def _show_count(self, total: int | None = None) -> None:
        if total is not None:
            self._total = total
        more = f" (the newest of {self._total:,})" if self._total > self.model.loaded else ""
        self.count.setText(f"{self.model.rowCount():,} events{more}")

    def _search(self, text: str) -> None:
        self.model.set_filter(text)
        self._show_count()

    def _event_chosen(self, current, _previous) -> None:
        if current.isValid():
            self.detail.setHtml(event_html(self.model.event_at(current.row())))
