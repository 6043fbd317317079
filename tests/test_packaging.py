"""The installable app: desktop entry, AppStream metadata, icons, and (opt-in) the bundle."""

from __future__ import annotations

import configparser
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "org.paneldesk.PanelDesk"


def test_desktop_entry_names_the_command_and_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive in desktop files
    entry.read(ROOT / "resources" / f"{APP_ID}.desktop")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "panel-desk"
    assert section["Icon"] == APP_ID
    assert section["Categories"].endswith(";")


def test_appstream_metadata_matches_the_desktop_entry():
    component = ET.parse(ROOT / "resources" / f"{APP_ID}.metainfo.xml").getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.find("launchable").text == f"{APP_ID}.desktop"
    from panel_desk import __version__

    assert component.find("releases/release").get("version") == __version__


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512])
def test_icon_exists_at_every_size(size: int):
    image = QImage(str(ROOT / "resources" / "icons" / f"panel-desk-{size}.png"))
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()


@pytest.mark.skipif(
    os.environ.get("PANEL_DESK_BUNDLE_TEST") != "1",
    reason="building the PyInstaller bundle takes a minute or two and fetches PyInstaller; "
    "run with PANEL_DESK_BUNDLE_TEST=1 (or packaging/build-bundle) to include it",
)
def test_the_bundle_builds_and_passes_its_smoke_test(tmp_path: Path):
    env = {**os.environ, "BUNDLE_VENV": str(tmp_path / "venv")}
    result = subprocess.run(
        [str(ROOT / "packaging" / "build-bundle")],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "smoke test passed" in result.stdout
