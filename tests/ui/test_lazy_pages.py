"""Pages built as first shown (ui/lazy_page.py), and a start that imports nothing heavy.

The cold start on a big round is one of the benchmark's figures: these guard how it was
won (no PDF, migration, signing or keyring code before the window is up; pages built
when first shown) without timing anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence

from panel_desk.services.vocabulary import Role
from panel_desk.ui.lazy_page import LazyPage
from panel_desk.ui.main_window import PAGES

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("reportlab", "alembic", "mako", "pygments", "pyhanko", "keyring", "cryptography")
"""Imported only for what needs them: PDFs, migrations, signatures, keys."""


@pytest.mark.parametrize(
    "page", [p for p in PAGES if isinstance(p, LazyPage)], ids=lambda p: p.title
)
def test_a_lazy_page_says_what_its_class_says(page: LazyPage) -> None:
    page_class = page.load()
    assert (page.title, page.roles) == (page_class.title, page_class.roles)


def test_only_the_page_shown_is_built_and_the_others_on_demand(qtbot, open_window) -> None:
    window = open_window(Role.SECRETARIAT)
    assert [type(p).title for p in window.built_pages()] == ["Submissions"]
    assert window.tabs.count() == len(window.factories) > 1

    qtbot.keySequence(window, QKeySequence("Alt+3"))  # the third tab, by the View menu's key

    third = window.factories[2].title
    qtbot.waitUntil(lambda: type(window.tabs.currentWidget()).title == third)
    page = window.tabs.currentWidget()
    assert page is window.page(third) and page.summary is not None, "it shows the round"
    assert len(window.built_pages()) == 2


@pytest.mark.parametrize("role", list(Role))
def test_building_every_page_leaves_the_window_active(qtbot, open_window, role: Role) -> None:
    """A page that shows a widget before it has a parent opens it as a window of its own,
    which takes the focus from the main window (and every shortcut with it)."""
    window = open_window(role)
    assert len(window.pages) == window.tabs.count()  # builds them all
    qtbot.wait(50)
    assert window.isActiveWindow()


def test_f1_lists_the_shortcuts_of_pages_not_yet_shown(qtbot, open_window) -> None:
    window = open_window(Role.SECRETARIAT)
    assert "Moderation" not in [type(p).title for p in window.built_pages()]

    dialog = window.show_shortcuts()

    assert any(where == "Moderation" for where, _does, _keys in dialog.listed())
    dialog.close()


def test_opening_the_app_on_a_database_at_head_imports_nothing_heavy(
    demo_path: Path, tmp_path: Path
) -> None:
    if not isinstance(demo_path, Path):
        pytest.skip("the start is measured on a SQLite file")
    script = (
        "import sys\n"
        "from panel_desk.cli import main\n"
        f"code = main(['--db', {str(demo_path)!r}, '--screenshot', {str(tmp_path / 's.png')!r}])\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s.png").exists(), "the main window was shown"
    assert done.stdout.strip().splitlines()[-1] == "[]", "loaded only when needed"
