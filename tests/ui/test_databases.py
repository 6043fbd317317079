"""Opening databases: the recent list, another database from the File menu, and what an
empty database tells a new user to do first (then does, up to the first round)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from panel_desk import preferences
from panel_desk.services import rounds
from panel_desk.services.database import open_database
from panel_desk.ui.app import Desk
from panel_desk.ui.help.welcome import WelcomeWindow
from panel_desk.ui.main_window import MainWindow
from panel_desk.ui.rounds.new_round import NewRoundDialog
from tests.conftest import copy_database
from tests.ui.conftest import answer_next_modal


def _close_all(desk: Desk) -> None:
    for window in list(desk.windows):
        window.close()
        (window.workspace.db if isinstance(window, MainWindow) else window.db).close()


def test_another_database_opens_in_its_own_window_and_joins_the_recent_list(
    qtbot, demo_template: Path, tmp_path: Path, settings: QSettings
) -> None:
    first = copy_database(demo_template, tmp_path / "first.sqlite")
    second = copy_database(demo_template, tmp_path / "second.sqlite")
    desk = Desk(settings, interactive=False)
    window = desk.open(str(first))
    assert isinstance(window, MainWindow)
    assert preferences.recent_databases(settings) == [str(first)]

    window.open_requested.emit(str(second))  # File ▸ Open database… chose it
    assert desk.windows and desk.windows[-1] is not window
    now = desk.windows[-1]
    assert isinstance(now, MainWindow) and now.workspace.db.display_name == str(second)
    assert not window.isVisible()
    assert preferences.recent_databases(settings) == [str(second), str(first)]

    menu = now.recent_menu
    menu.rebuild()
    assert menu.names() == [str(second), str(first)]
    back = next(a for a in menu.actions() if a.data() == str(first))
    assert (
        back.isEnabled()
        and not next(a for a in menu.actions() if a.data() == str(second)).isEnabled()
    )
    back.trigger()
    again = desk.windows[-1]
    assert again.workspace.db.display_name == str(first)
    assert preferences.recent_databases(settings) == [str(first), str(second)]
    assert len(desk.windows) == 1
    _close_all(desk)


def test_a_database_that_cannot_be_opened_is_said_and_the_window_stays(
    qtbot, demo_template: Path, tmp_path: Path, settings: QSettings
) -> None:
    desk = Desk(settings, interactive=False)
    window = desk.open(str(copy_database(demo_template, tmp_path / "demo.sqlite")))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    said: list[str] = []

    def read(box) -> None:
        said.append(box.text())
        box.accept()

    answer_next_modal(qtbot, read)
    window.open_requested.emit(str(folder))
    qtbot.waitUntil(lambda: bool(said))
    assert "is a folder, not a database file" in said[0]
    assert desk.windows == [window]
    assert str(folder) not in preferences.recent_databases(settings)
    _close_all(desk)


ROSTER = (
    "email,name,roles,expertise,affiliations,declared_interests\n"
    "sam.secretary@centre.example,Sam Secretary,secretariat,,,\n"
    "rae.reviewer@centre.example,Rae Reviewer,reviewer,area:frailty,,\n"
)


def test_an_empty_database_says_what_to_do_first_and_leads_to_the_first_round(
    qtbot, tmp_path: Path, settings: QSettings
) -> None:
    path = tmp_path / "new.sqlite"
    desk = Desk(settings, interactive=False)
    welcome = desk.open(str(path))
    assert isinstance(welcome, WelcomeWindow)
    welcome.show()
    texts = [b.text().replace("&", "") for b in welcome.explanations]
    assert texts == [
        "Load the demo",
        "Import the roster…",
        "Import a review packet…",
        "Open another database…",
    ]
    assert "roster.csv" in welcome.explanations[welcome.roster_button].text()

    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    assert welcome.import_roster(roster)
    window = desk.windows[-1]
    assert isinstance(window, MainWindow), "people on the roster: the main window opens"
    assert window.workspace.person.email == "sam.secretary@centre.example"
    assert window.page_stack.currentWidget() is window.first_steps
    assert "No rounds yet" in window.first_steps.text.text()
    buttons = {b.text().split("   ")[0]: b for b in window.first_steps.buttons}
    assert set(buttons) == {"New round…", "Import roster…", "Open database…"}

    def fill(dialog: NewRoundDialog) -> None:
        qtbot.keyClicks(dialog.ref, "GW-2027-01")
        qtbot.keyClicks(dialog.title_edit, "First call")
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    shown = answer_next_modal(qtbot, fill)
    qtbot.mouseClick(buttons["New round…"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown) and not shown[0].isVisible())
    assert window.page_stack.currentWidget() is window.tabs, "a round: the pages are back"
    assert window.navigator.current_ref() == "GW-2027-01"
    db = open_database(path)
    assert [r.ref for r in db.read(rounds.list_rounds)] == ["GW-2027-01"]
    db.close()
    _close_all(desk)


def test_an_empty_database_screenshot_shows_the_first_steps(tmp_path: Path) -> None:
    import subprocess
    import sys

    shot = tmp_path / "empty.png"
    result = subprocess.run(
        [sys.executable, "-m", "panel_desk", "--db", tmp_path / "e.sqlite", "--screenshot", shot],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 10_000
