"""The Audit page: the trail's verdict, and its events filtered by submission and person.

Read-only for everyone who may open it (the secretariat, and the EAG, whose oversight the
trail serves). The verdict comes from walking the whole chain each time the page is
shown or refreshed, so what it says is never older than what the table lists.

The filters keep their values in Python lists beside the combo boxes and fill them with
`addItems`: PySide6 6.12 on Python 3.11 loses a reference to None each time a QVariant
crosses over empty (`addItem(text)`, `currentData()` of an item without data), and a
round's 20,000 submission refs added one by one crashed the interpreter
("Fatal Python error: none_dealloc").
"""

from __future__ import annotations

import json
from collections.abc import Callable
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

from panel_desk.errors import Cancelled
from panel_desk.services import audit, audit_views
from panel_desk.services.rounds import RoundSummary
from panel_desk.services.vocabulary import Role
from panel_desk.ui.audit.table_model import AuditTableModel
from panel_desk.ui.runner import OneAtATime, run_in_background
from panel_desk.ui.workspace import Workspace

THIS_ROUND, EVERYTHING = "round", "all"
CANCELLED_HTML = (
    "<span style='color:#8a5a00; font-weight:bold'>Check cancelled</span>: the audit trail "
    "was not checked, so this page says nothing of whether it is intact. Refresh (F5) to "
    "check it. The events below are listed as recorded."
)


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
        self._reads = OneAtATime()
        self._events: audit_views.EventPage | None = None  # read along with the check
        self._total = 0
        self._scopes: list[str] = []
        self._submissions: list[str] = []
        self._people: list[str] = []

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

    def _fill(self, combo: QComboBox, items: list[tuple[str, str]], keep: str) -> list[str]:
        """Fill `combo` with (label, value) items, choosing `keep` if it is still there;
        returns the values, index for index."""
        values = [value for _, value in items]
        combo.blockSignals(True)
        combo.clear()
        combo.addItems([label for label, _ in items])
        combo.setCurrentIndex(values.index(keep) if keep in values else 0)
        combo.blockSignals(False)
        return values

    @staticmethod
    def _value(combo: QComboBox, values: list[str]) -> str:
        index = combo.currentIndex()
        return values[index] if 0 <= index < len(values) else ""

    def _fill_filters(self) -> None:
        """Fill the choices for the round shown, keeping what was chosen where it still is."""
        scopes = [("Every event", EVERYTHING)]
        submissions = [("Any submission", "")]
        if self.summary is not None:
            ref = self.summary.ref
            scopes.insert(0, (f"Events of {ref}", THIS_ROUND))
            submissions += [
                (sub, f"{ref}/{sub}")
                for sub in self.workspace.read(audit_views.submission_refs, ref)
            ]
        self._scopes = self._fill(self.scope, scopes, self.scope_value())
        self._submissions = self._fill(self.submission, submissions, self.submission_value())
        self.submission.setEnabled(self.scope_value() == THIS_ROUND)
        self._fill_people()

    def scope_value(self) -> str:
        return self._value(self.scope, self._scopes)

    def submission_value(self) -> str:
        """The chosen submission as "ROUND/REF", or "" for any."""
        return self._value(self.submission, self._submissions)

    def person_value(self) -> str:
        return self._value(self.person, self._people)

    def _round_ref(self) -> str | None:
        if self.scope_value() == THIS_ROUND and self.summary is not None:
            return self.summary.ref
        return None

    def _fill_people(self) -> None:
        people = self.workspace.read(audit_views.people_in_trail, self._round_ref())
        items = [("Anyone", ""), *((email, email) for email in people)]
        self._people = self._fill(self.person, items, self.person_value())

    def _scope_changed(self) -> None:
        self.submission.setEnabled(self.scope_value() == THIS_ROUND)
        self._fill_people()
        self._load_events()

    def choose(self, scope: str = "", submission: str = "", person: str = "") -> None:
        """Filter as a user picking from the lists would ("" leaves a list as it is)."""
        for combo, values, value in (
            (self.scope, self._scopes, scope),
            (self.submission, self._submissions, submission),
            (self.person, self._people, person),
        ):
            if value:
                combo.setCurrentIndex(values.index(value) if value in values else 0)

    # --- loading -------------------------------------------------------------------------

    def _load(self) -> None:
        self._reads(self._check)

    def _check(self) -> None:
        events = self._events_reader()

        def verify(progress: Callable[[int, int, str], None]) -> audit.ChainReport:
            progress(0, 0, "Reading the newest events")
            self._events = events()  # in the worker too: thousands of rows
            return self.workspace.read(audit.verify_chain, progress)

        # Off the GUI thread: a hub's trail runs to hundreds of thousands of events. The
        # check calls progress every few thousand events, where Cancel stops it.
        try:
            self.report = run_in_background(self, "Checking the audit trail", verify, 500)
        except Cancelled:
            self.report = None
            self.verdict.setText(CANCELLED_HTML)
            self.verdict.setProperty("intact", False)  # not known to be
        else:
            self.verdict.setText(verdict_html(self.report))
            self.verdict.setProperty("intact", self.report.intact)
        if self._events is not None:
            self._show_events(self._events)
        else:
            self._load_events()
        self._events = None

    def _events_reader(self) -> Callable[[], audit_views.EventPage]:
        """The read of the events the filters choose, to run on any thread."""
        submission = self.submission_value() if self.submission.isEnabled() else ""
        round_ref, person = self._round_ref(), self.person_value() or None
        return lambda: self.workspace.read(
            audit_views.list_events,
            round_ref=round_ref,
            submission=submission or None,
            person=person,
        )

    def _load_events(self, *_: object) -> None:
        self._show_events(self._events_reader()())

    def _show_events(self, page: audit_views.EventPage) -> None:
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
