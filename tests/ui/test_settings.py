"""Settings change what the services do: the rules chosen there are those a new round is
opened with (in the GUI and by `panel-desk round create`), so the conflicts found and the
quorum needed follow them; rounds already open keep their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from panel_desk import preferences
from panel_desk.services import rounds, screening, submissions
from panel_desk.services.database import Database
from panel_desk.services.round_rules import RoundRules
from panel_desk.services.vocabulary import Role
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.rounds.new_round import NewRoundDialog
from panel_desk.ui.settings.dialog import SettingsDialog
from tests.services.coi_world import OPENS, ROUND, P, S, build, detect, flags
from tests.ui.conftest import activate, answer_next_modal, workspace_as

LEFT = "left.two.years.ago@elsewhere.example"


def _rules_of(db: Database, ref: str) -> tuple[int, int, list[str]]:
    def read(session):
        r = rounds.round_by_ref(session, ref)
        return r.lookback_years, r.signoff_quorum, list(r.shared_mail_domains or [])

    return db.read(read)


def _window(qtbot, db: Database, settings: QSettings) -> MainWindow:
    window = MainWindow(workspace_as(db, Role.SECRETARIAT), settings)
    qtbot.addWidget(window)
    window.show()
    activate(qtbot, window)
    return window


def _change_settings(qtbot, window: MainWindow, lookback: int, quorum: int, domains: str):
    """Open Settings with its shortcut, type the values, press OK."""

    def fill(dialog: SettingsDialog) -> None:
        assert isinstance(dialog, SettingsDialog)
        for box, value in ((dialog.rules.lookback, lookback), (dialog.rules.quorum, quorum)):
            box.selectAll()
            qtbot.keyClicks(box, str(value))
        dialog.rules.domains.selectAll()
        for n, line in enumerate(domains.splitlines()):
            if n:
                qtbot.keyClick(dialog.rules.domains, Qt.Key.Key_Return)
            qtbot.keyClicks(dialog.rules.domains, line)
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    shown = answer_next_modal(qtbot, fill)
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: bool(shown) and not shown[0].isVisible())


def _open_round(qtbot, window: MainWindow, ref: str, seen: dict | None = None) -> None:
    """Round ▸ New round… (Ctrl+N), as typed by the secretariat."""

    def fill(dialog: NewRoundDialog) -> None:
        assert isinstance(dialog, NewRoundDialog)
        if seen is not None:
            seen.update(
                lookback=dialog.rules.lookback.value(),
                quorum=dialog.rules.quorum.value(),
                domains=dialog.rules.domains.toPlainText().split(),
            )
        qtbot.keyClicks(dialog.ref, ref)
        qtbot.keyClicks(dialog.title_edit, f"Call {ref}")
        dialog.opens.setDate(QDate(OPENS.year, OPENS.month, OPENS.day))
        qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)

    shown = answer_next_modal(qtbot, fill)
    activate(qtbot, window)
    qtbot.keySequence(window, QKeySequence("Ctrl+N"))
    qtbot.waitUntil(lambda: bool(shown) and not shown[0].isVisible())


def test_lookback_chosen_in_settings_changes_the_conflicts_a_new_round_finds(
    qtbot, empty_db: Database, settings: QSettings, tmp_path: Path
) -> None:
    folder = tmp_path / "world"
    person = P(LEFT, affiliations="University of Testshire|2015-01-01|2024-06-30")
    build(empty_db, folder, [person], [S("S-1")])
    detect(empty_db)
    assert "affiliation" in flags(empty_db)[(LEFT, "S-1")], "3 years back: still affiliated"

    window = _window(qtbot, empty_db, settings)
    _change_settings(qtbot, window, lookback=1, quorum=3, domains="gmail.com\nexample.org")
    assert preferences.load(settings).new_round_rules == RoundRules(
        1, 3, ("gmail.com", "example.org")
    )

    seen: dict = {}
    _open_round(qtbot, window, "GW-C-02", seen)
    assert seen == {"lookback": 1, "quorum": 3, "domains": ["gmail.com", "example.org"]}
    assert window.navigator.current_ref() == "GW-C-02"
    assert _rules_of(empty_db, "GW-C-02") == (1, 3, ["gmail.com", "example.org"])
    assert _rules_of(empty_db, ROUND) == (3, 2, _rules_of(empty_db, ROUND)[2]), "kept its own"

    empty_db.run(
        submissions.import_submissions,
        folder / "submissions.csv",
        "GW-C-02",
        folder / "documents",
    )
    empty_db.run(screening.run_screening, "GW-C-02")
    report = detect(empty_db, "GW-C-02")
    assert (LEFT, "S-1") not in flags(empty_db, "GW-C-02"), "1 year back: no longer"
    assert report.by_rule.get("affiliation", 0) == 0
    assert "affiliation" in flags(empty_db)[(LEFT, "S-1")], "the first round's flag stands"


def test_a_bad_domain_is_refused_and_nothing_is_saved(qtbot, demo_db, settings) -> None:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.rules.domains.setPlainText("gmail.com\nnot a domain")
    refused: list[str] = []

    def close(box) -> None:
        refused.append(box.text())
        box.accept()

    answer_next_modal(qtbot, close)
    dialog.accept()
    qtbot.waitUntil(lambda: bool(refused))
    assert "'not' is not a mail domain" in refused[0]
    assert dialog.isVisible() or dialog.result() == 0
    assert settings.value(preferences.SHARED_MAIL_DOMAINS) is None


@pytest.fixture
def user_settings() -> Iterator[QSettings]:
    """The user's own settings store (in the tests' private config folder), emptied after."""
    store = preferences.settings()
    yield store
    store.clear()
    store.sync()


def test_round_create_on_the_command_line_follows_settings_unless_told(
    run_cli, empty_db: Database, user_settings: QSettings
) -> None:
    preferences.save(preferences.Preferences("", RoundRules(5, 4, ("nhs.net",))), user_settings)
    db = ("--db", empty_db.url.removeprefix("sqlite:///"))
    code, out, err = run_cli(
        "round", "create", "--stage", "gateway", "--ref", "A", "--title", "A", *db
    )
    assert code == 0, err
    assert "look-back 5 years, sign-off quorum 4" in out
    assert _rules_of(empty_db, "A") == (5, 4, ["nhs.net"])

    code, _, err = run_cli(
        "round", "create", "--stage", "gateway", "--ref", "B", "--title", "B", "--quorum", "1",
        "--lookback-years", "0", "--shared-domains", "a.example, @B.example", *db,
    )  # fmt: skip
    assert code == 0, err
    assert _rules_of(empty_db, "B") == (0, 1, ["a.example", "b.example"])

    code, _, err = run_cli(
        "round", "create", "--stage", "gateway", "--ref", "C", "--title", "C", "--quorum", "0", *db
    )
    assert code == 2 and "sign-off quorum: must be from 1" in err


def test_commands_without_db_use_the_default_database_chosen_in_settings(
    run_cli, tmp_path: Path, user_settings: QSettings
) -> None:
    chosen = tmp_path / "chosen.sqlite"
    preferences.save(preferences.Preferences(str(chosen), RoundRules()), user_settings)
    code, _, err = run_cli("round", "create", "--stage", "gateway", "--ref", "D", "--title", "D")
    assert code == 0, err
    assert chosen.exists()
