"""`panel-desk` with only the app's options opens the app without building the commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from panel_desk.cli.gui_launch import gui_arguments

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "argv",
    [[], ["--db", "x.sqlite"], ["--db", "x.sqlite", "--as", "a@b.org", "--view", "audit"]],
)
def test_the_apps_own_options_open_the_app(argv: list[str]) -> None:
    args = gui_arguments(argv)
    assert args is not None and args.db == (argv[1] if argv else None)


@pytest.mark.parametrize(
    "argv",
    [
        ["screening", "--round", "R-1"],
        ["--db", "x.sqlite", "demo"],
        ["--help"],
        ["--version"],
        ["--db"],  # no value: the full parser says so
        ["--scr", "x.png"],  # an abbreviation: the full parser decides
    ],
)
def test_anything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert gui_arguments(argv) is None


def test_starting_the_app_does_not_load_the_commands(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from panel_desk.cli import gui_launch\n"
        "gui_launch.cmd_gui = lambda args: 0  # stands in for the window\n"
        "from panel_desk.cli import main\n"
        f"assert main(['--db', {str(tmp_path / 'x.sqlite')!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('panel_desk.cli')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['panel_desk.cli', 'panel_desk.cli.gui_launch']"
