"""Where panel_desk finds its shipped resources and keeps its data on this machine.

Resources sit in `resources/` and migrations in `db/` at the project root in a checkout,
and inside the package (`panel_desk/resources`, `panel_desk/db`) in a wheel or bundle; the
first that exists wins, so a source checkout and an installed app behave the same.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "panel_desk"
APP_AUTHOR = "panel_desk"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"panel_desk is installed without its {name}/ folder")


def resources_dir() -> Path:
    """The shipped resources: criteria sets, icons, stylesheet, letter templates."""
    return _shipped("resources")


def migrations_dir() -> Path:
    """The Alembic environment and migration scripts."""
    return _shipped("db")


def criteria_dir() -> Path:
    return resources_dir() / "criteria"


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_database_path() -> Path:
    """The database used when no --db is given: the secretariat's hub or a reviewer's copy."""
    return user_data_dir() / "panel_desk.sqlite"


def demo_database_path() -> Path:
    """The database `make run` fills with the demo round, kept apart from real work."""
    return user_data_dir() / "demo.sqlite"
