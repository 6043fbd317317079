"""Organisations… : the alias table the secretariat keeps, opened from the Conflicts page.

Every organisation with the other names and mail domains joined to it, and which one it
stands for when an alias made it part of another. Adding or removing an alias checks the
round on screen again in the same transaction (services/conflict_aliases.py), so the page
behind shows the flags the change made or ended; a refused alias shows why and changes
nothing.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import conflict_aliases, organisations
from panel_desk.services.conflict_aliases import AliasChange
from panel_desk.services.organisations import DOMAIN, NAME, OrganisationView
from panel_desk.ui.conflicts.list_model import Column, ListTableModel
from panel_desk.ui.dialogs import show_bad_input
from panel_desk.ui.runner import run_in_background
from panel_desk.ui.workspace import Workspace

KINDS = ((NAME, "Another name"), (DOMAIN, "Mail domain"))


def _aliases(organisation: OrganisationView, kind: str) -> str:
    return ", ".join(a.shown for a in organisation.aliases if a.kind == kind)


COLUMNS = (
    Column("Organisation", lambda o: o.name, lambda o: o.name.casefold()),
    Column(
        "Other names",
        lambda o: _aliases(o, NAME),
        lambda o: _aliases(o, NAME),
        tip="Other names matched as this organisation (as compared: lower case, no punctuation)",
    ),
    Column("Mail domains", lambda o: _aliases(o, DOMAIN), lambda o: _aliases(o, DOMAIN)),
    Column(
        "Stands for",
        lambda o: o.joined_to,
        lambda o: o.joined_to.casefold(),
        tip="An alias of another organisation names this one: it is matched as that one",
    ),
)


class OrganisationsDialog(QDialog):
    changed = Signal(str)  # what changed, in words, for the status bar

    def __init__(
        self, workspace: Workspace, round_ref: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("organisationsDialog")
        self.setWindowTitle("Organisations and their aliases")
        self.workspace = workspace
        self.round_ref = round_ref
        intro = QLabel(
            "Organisation names are matched ignoring case, punctuation and common suffixes. "
            "Join the names the rules cannot know (a merged trust, a former name) and the mail "
            "domains of one institution here."
            + (
                f" After each change the conflicts of {round_ref} are checked again."
                if round_ref
                else ""
            )
        )
        intro.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="Filter organisations")
        self.filter.setObjectName("organisationFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter organisations")
        self.model = ListTableModel(COLUMNS, lambda o: o.id, self)
        self.table = QTableView()
        self.table.setObjectName("organisationsTable")
        self.table.setAccessibleName("Organisations")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((0, 340), (1, 260), (2, 150)):
            self.table.setColumnWidth(column, width)

        self.chosen_label = QLabel()
        self.chosen_label.setObjectName("chosenOrganisation")
        self.alias_list = QListWidget()
        self.alias_list.setObjectName("aliasList")
        self.alias_list.setAccessibleName("Aliases of the chosen organisation")
        self.alias_list.setMaximumHeight(110)
        self.remove = QPushButton("&Remove alias")
        self.remove.setObjectName("removeAliasButton")
        self.kind = QComboBox()
        self.kind.setObjectName("aliasKind")
        self.kind.setAccessibleName("Kind of alias")
        self.kind.addItems([label for _, label in KINDS])
        self.alias = QLineEdit(placeholderText="e.g. Wolds Community Health NHS Trust")
        self.alias.setObjectName("aliasText")
        self.alias.setAccessibleName("Alias")
        self.add = QPushButton("&Add alias")
        self.add.setObjectName("addAliasButton")
        self.add.setDefault(True)
        self.outcome = QLabel()
        self.outcome.setObjectName("aliasOutcome")
        self.outcome.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)

        remove_row = QHBoxLayout()
        remove_row.addWidget(self.alias_list, 1)
        remove_row.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignTop)
        add_row = QHBoxLayout()
        caption = QLabel("Add a&n alias:")
        caption.setBuddy(self.alias)
        add_row.addWidget(caption)
        add_row.addWidget(self.kind)
        add_row.addWidget(self.alias, 1)
        add_row.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chosen_label)
        layout.addLayout(remove_row)
        layout.addLayout(add_row)
        layout.addWidget(self.outcome)
        layout.addWidget(buttons)
        self.resize(1000, 640)

        self.filter.textChanged.connect(lambda text: self.model.set_filter(text))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(lambda: self._select(self._chosen_id))
        self.alias_list.currentRowChanged.connect(lambda _row: self._enable())
        self.alias.textChanged.connect(lambda _text: self._enable())
        self.add.clicked.connect(self._add)
        self.remove.clicked.connect(self._remove)
        self._chosen_id: int | None = None
        self._load()

    # --- showing -------------------------------------------------------------------------

    def _load(self) -> None:
        self.model.set_rows(self.workspace.read(organisations.list_organisations))

    def chosen(self) -> OrganisationView | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_organisation(self, name: str) -> None:
        """Make `name` the chosen organisation, as a click on its row would."""
        row = next(n for n in range(self.model.rowCount()) if self.model.row_at(n).name == name)
        self.table.setCurrentIndex(self.model.index(row, 0))

    def _select(self, organisation_id: int | None) -> None:
        row = self.model.row_of(organisation_id) if organisation_id is not None else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))
        self._show(self.model.row_at(row) if row >= 0 else None)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show(self.model.row_at(current.row()) if current.isValid() else None)

    def _show(self, organisation: OrganisationView | None) -> None:
        self._chosen_id = organisation.id if organisation else None
        self.alias_list.clear()
        if organisation is None:
            self.chosen_label.setText("Choose an organisation to see and change its aliases.")
        else:
            joined = f" — matched as {organisation.joined_to}" if organisation.joined_to else ""
            count = len(organisation.aliases)
            self.chosen_label.setText(
                f"<b>{escape(organisation.name)}</b>{escape(joined)}: "
                + (f"{count} alias{'es' * (count != 1)}" if count else "no aliases")
            )
            labels = dict(KINDS)
            for alias in organisation.aliases:
                self.alias_list.addItem(f"{labels[alias.kind]}: {alias.shown}")
        self._enable()

    def _enable(self) -> None:
        chosen = self._chosen_id is not None
        self.add.setEnabled(chosen and bool(self.alias.text().strip()))
        self.remove.setEnabled(chosen and self.alias_list.currentRow() >= 0)

    # --- changing ------------------------------------------------------------------------

    def _add(self) -> None:
        organisation = self.chosen()
        text = self.alias.text().strip()
        if organisation is None or not text:
            return
        kind = KINDS[self.kind.currentIndex()][0]
        me = self.workspace.person.email
        change = self._change(
            f"Adding an alias of {organisation.name}",
            lambda progress: self.workspace.run(
                conflict_aliases.add_alias,
                organisation.name,
                kind,
                text,
                me,
                self.round_ref,
                progress,
            ),
        )
        if change is not None:
            self.alias.clear()

    def _remove(self) -> None:
        organisation = self.chosen()
        row = self.alias_list.currentRow()
        if organisation is None or row < 0:
            return
        alias = organisation.aliases[row]
        me = self.workspace.person.email
        self._change(
            f"Removing an alias of {organisation.name}",
            lambda progress: self.workspace.run(
                conflict_aliases.remove_alias, alias.kind, alias.shown, me, self.round_ref, progress
            ),
        )

    def _change(self, title: str, work) -> AliasChange | None:
        try:
            change: AliasChange = run_in_background(self, title, work)
        except BadInput as error:
            show_bad_input(self, "Organisation alias", error)
            return None
        except Cancelled:
            self.outcome.setText("Cancelled: nothing was changed.")
            return None
        kind = dict(KINDS)[change.kind].lower()
        did = "is now an alias of" if change.added else "is no longer an alias of"
        words = f"{kind} “{change.shown}” {did} {change.organisation}"
        report = change.detection
        if report is not None:
            withdrawn = f", {len(report.withdrawn)} withdrawn" if report.withdrawn else ""
            words += (
                f". {report.round_ref} checked again: {report.added} new flags, "
                f"{report.reopened} reopened, {report.lapsed} lapsed{withdrawn}"
            )
        self.outcome.setText(words[0].upper() + words[1:] + ".")
        self.changed.emit(self.outcome.text())
        self._load()
        return change
