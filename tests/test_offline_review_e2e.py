"""The whole offline trip, on two database files, the way the secretariat and a reviewer make
it: keys and enrolment, packet export on the hub, packet import on the laptop, one review
scored with the keyboard in the reviewer's app and another through the offline form, both
submitted, the return exported, imported on the hub, and the scores there for moderation.

Every step but the scoring is the command line (`panel-desk …`), as the README tells it;
the scoring is real widgets driven by keys. Both "machines" share the test's in-memory
keyring, which keeps each person's key under their own name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from panel_desk.services import audit, keys, moderation_views, reviewing
from panel_desk.services.database import Database, open_database
from panel_desk.services.reviewing import Progress
from panel_desk.services.vocabulary import Role
from panel_desk.ui.main_window import MainWindow
from tests.crypto.support import MemoryKeyring, keys_kept_apart
from tests.exchange_world import ROUND, choose_reviewer, inherit_demo_keys, secretariat_of
from tests.ui.conftest import activate, answer_next_modal, workspace_as


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


def _ok(run_cli, *argv) -> str:
    code, out, err = run_cli(*argv)
    assert code == 0, f"{argv}: {err}"
    return out


def _press(qtbot, key: Qt.Key, text: str = "") -> None:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    if text:
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, key)


def _fill_form(path: Path, tag: str) -> None:
    """What a reviewer types into the offline form in their editor."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        if line.startswith("==+== Score:"):
            lines.append("met with conditions")
        elif line.startswith("==+== Comment:"):
            lines.append(f"{tag}: {line.split(': ')[1]} holds, with a condition.")
        elif line.startswith("==+== Recommendation"):
            lines.append("endorse with conditions")
        elif line.startswith("==+== Conditions"):
            lines.append("Name the assessment methods for each outcome.")
        elif line.startswith("==+== Overall comment"):
            lines.append(f"{tag}: sound, once the assessment is named.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _score_with_keys(qtbot, window: MainWindow, assignment_id: int, tag: str) -> int:
    """Choose the assignment in My reviews and score it to submission, keys only."""
    page = window.page("My reviews")
    table = page.assignments.table
    table.setFocus()
    _press(qtbot, Qt.Key.Key_Home)
    while page.assignments.model.row_at(table.currentIndex().row()).assignment_id != assignment_id:
        _press(qtbot, Qt.Key.Key_Down)
    _press(qtbot, Qt.Key.Key_Return)  # into the review
    editor = page.editor
    for card in editor.cards:
        assert QApplication.focusWidget() is card.chooser
        _press(qtbot, Qt.Key.Key_1)  # the first value on the scale: "met"
        _press(qtbot, Qt.Key.Key_Tab)
        _press(qtbot, Qt.Key.Key_unknown, f"{tag}: {card.criterion.key} is clearly met.")
        _press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.recommendation.chooser
    _press(qtbot, Qt.Key.Key_E)  # endorse
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_Tab)
    _press(qtbot, Qt.Key.Key_unknown, f"{tag}: a strong specification.")
    _press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.certify
    _press(qtbot, Qt.Key.Key_Space)

    def confirm(dialog: QWidget) -> None:
        assert dialog.objectName() == "confirmSubmit"
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    seen = answer_next_modal(qtbot, confirm)
    qtbot.keySequence(QApplication.focusWidget(), QKeySequence("Ctrl+Return"))
    qtbot.waitUntil(lambda: bool(seen))
    assert editor.form.progress == Progress.SUBMITTED
    return len(editor.cards)


def _reviewer_column(hub: Database, reviewer: str, ref: str):
    """The hub's moderation matrix of one submission, the reviewer's column in it."""

    def read(session):
        assignment = reviewing.find_assignment(session, reviewer, ref, ROUND)
        submission_id = reviewing.mine(session, assignment, reviewer).submission.id
        return moderation_views.submission_moderation(session, submission_id, reveal=True)

    matrix = hub.read(read)
    column = next(n for n, r in enumerate(matrix.reviewers) if r.email == reviewer)
    criteria = [row for row in matrix.rows if row.kind != "recommendation"]
    return matrix.reviewers[column], [row.cells[column] for row in criteria]


def test_a_review_round_trip_from_the_hub_to_a_laptop_and_back(
    qtbot, run_cli, demo_path: Path, tmp_path: Path
):
    hub_path, laptop_path = demo_path, tmp_path / "laptop.sqlite"
    hub = open_database(hub_path)
    secretariat, reviewer = secretariat_of(hub), choose_reviewer(hub)
    H, L = ("--db", hub_path), ("--db", laptop_path)

    # The hub: its authority, the secretariat's key, a one-time code for the reviewer.
    if hub.read(keys.authority_summary) is None:
        _ok(run_cli, "keys", "authority-init", "--organisation", "Centre", "--as", secretariat, *H)
    else:  # the demo set one up already, with its key in the keyring it was built with
        inherit_demo_keys()
    _ok(run_cli, "keys", "init", "--enrol", "--as", secretariat, *H)
    said = _ok(run_cli, "keys", "enrol-code", "--person", reviewer, "--as", secretariat, *H)
    code = said.splitlines()[0].rsplit(": ", 1)[1]
    # The reviewer's laptop: a key, and a request made with the code.
    _ok(run_cli, "keys", "init", "--as", reviewer)
    request = tmp_path / "request.pdenrol"
    _ok(run_cli, "keys", "request", "--as", reviewer, "--code", code, "--out", request)
    # The hub enrols it, and sends the packet.
    _ok(run_cli, "keys", "enrol", request, "--as", secretariat, *H)
    packet = tmp_path / "reviewer.pdpacket"
    _ok(run_cli, "packet", "export", "--round", ROUND, "--reviewer", reviewer, "--out", packet,
        "--as", secretariat, *H)  # fmt: skip
    # The laptop: the packet becomes the reviewer's database.
    said = _ok(run_cli, "packet", "import", packet, *L)
    assert f"{ROUND} set up for {reviewer}" in said

    laptop = open_database(laptop_path)
    window = MainWindow(
        workspace_as(laptop, Role.REVIEWER, reviewer),
        QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(window)
    window.show()
    activate(qtbot, window)
    page = window.page("My reviews")
    assert window.tabs.currentWidget() is page, "the reviewer's app opens on My reviews"
    assert window.navigator.current_ref() == ROUND
    model = page.assignments.model
    rows = [model.row_at(n) for n in range(model.rowCount())]
    fresh = [i for i in rows if i.progress == Progress.NOT_STARTED]
    by_keys, by_form = fresh[0], fresh[1]
    assert "submitted · reviews due" in page.assignments.progress.text()

    criteria = _score_with_keys(qtbot, window, by_keys.assignment_id, "KEYS")

    form = page.export_form(tmp_path / "form.txt")
    _fill_form(form, "FORM")
    assert "ready to submit" in page.import_form(form)
    window.close()
    _ok(run_cli, "review", "submit", "--submission", by_form.submission_ref,
        "--certify-no-conflict", "--round", ROUND, "--as", reviewer, *L)  # fmt: skip
    returned = tmp_path / "reviewer.pdreturn"
    _ok(run_cli, "return", "export", "--out", returned, "--as", reviewer, "--round", ROUND, *L)
    assert laptop.read(audit.verify_chain).intact
    laptop.close()

    # The hub: verify, import, and the scores are there to moderate.
    _ok(run_cli, "verify", returned, *H)
    said = _ok(run_cli, "return", "import", returned, "--as", secretariat, *H)
    assert f"{by_keys.submission_ref} v1" in said and f"{by_form.submission_ref} v1" in said

    state, cells = _reviewer_column(hub, reviewer, by_keys.submission_ref)
    assert (state.state, state.recommendation) == ("submitted", "endorse")
    assert state.comment == "KEYS: a strong specification."
    assert len(cells) == criteria and all(c is not None and c.value == "met" for c in cells)
    assert all(c.comment.startswith("KEYS: ") for c in cells)
    state, cells = _reviewer_column(hub, reviewer, by_form.submission_ref)
    assert (state.state, state.recommendation) == ("submitted", "endorse with conditions")
    assert state.conditions == "Name the assessment methods for each outcome."
    assert all(c is not None and c.value == "met with conditions" for c in cells)
    said = _ok(run_cli, "return", "status", "--round", ROUND, *H)
    assert reviewer in said
    assert hub.read(audit.verify_chain).intact

    # Sent twice by mistake: nothing changes.
    assert "already imported" in _ok(run_cli, "return", "import", returned, *H)
    hub.close()
