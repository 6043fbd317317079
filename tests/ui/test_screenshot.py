"""`panel-desk --screenshot`: the main window rendered to a PNG with no screen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "panel_desk", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_screenshot_renders_the_demo(demo_path: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    result = _run("--db", demo_path, "--screenshot", shot)
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 900)
    # Not a blank window: the table and detail pane put many colours on screen.
    colours = {image.pixel(x, y) for x in range(0, 1440, 7) for y in range(0, 900, 7)}
    assert len(colours) > 50


def test_screenshot_of_the_screening_view_chooses_a_submission_with_gaps(demo_path, tmp_path):
    shot = tmp_path / "screening.png"
    assert _run("--db", demo_path, "--screenshot", shot, "--view", "screening").returncode == 0
    assert shot.stat().st_size > 20_000


def test_unknown_view_or_unknown_person_is_refused_plainly(demo_path, tmp_path):
    result = _run("--db", demo_path, "--screenshot", tmp_path / "x.png", "--view", "nope")
    assert result.returncode == 2
    assert "unknown view 'nope'" in result.stderr and "Traceback" not in result.stderr
    result = _run("--db", demo_path, "--as", "nobody@x.org", "--screenshot", tmp_path / "x.png")
    assert result.returncode == 2
    assert "nobody@x.org is not on the roster" in result.stderr
    assert not (tmp_path / "x.png").exists()
