"""The head revision read from the scripts' lines (no Alembic at start) is Alembic's own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from panel_desk.paths import migrations_dir
from panel_desk.store import migrate


def test_the_scripts_head_is_the_one_alembic_finds() -> None:
    assert migrate.scripted_head() == migrate.head_revision() is not None


@pytest.fixture
def scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "db"
    shutil.copytree(migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "migrations_dir", lambda: folder)
    return folder / "versions"


def test_a_branch_leaves_the_head_to_alembic(scripts: Path) -> None:
    head = migrate.scripted_head()
    newest = next(p for p in scripts.glob("*.py") if f'revision: str = "{head}"' in p.read_text())
    beside = newest.read_text().replace(f'revision: str = "{head}"', 'revision: str = "9002"')
    (scripts / "9002_beside_the_head.py").write_text(beside)  # revises what the head revises

    assert migrate.scripted_head() is None, "two heads: no one revision to compare with"


def test_a_later_script_is_the_new_head(scripts: Path) -> None:
    head = migrate.scripted_head()
    (scripts / "9001_later.py").write_text(
        f'revision = "9001"\ndown_revision = "{head}"\n\n\ndef upgrade() -> None:\n    pass\n'
    )

    assert migrate.scripted_head() == "9001" == migrate.head_revision()
