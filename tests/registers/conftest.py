"""The demo's credential chain (services/demo_registers.py), for the registers tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from panel_desk.services.database import Database, open_database

CREDENTIAL = "EN-2026-01/EN26-01"
OTHER_CREDENTIAL = "EN-2026-01/EN26-02"
PROVIDER = "University of Eastmere"
CONDITIONAL_PROVIDER = "Wessex Vale University"
REFUSED_PROVIDER_APPLICATION = "PA-2026-01/PA26-03"


@pytest.fixture
def chain_db(signed_demo_path: Path) -> Iterator[Database]:
    """A private copy of `panel-desk demo`: signed-off endorsement and provider approval,
    completions and annual returns, and a periodic review opened."""
    db = open_database(signed_demo_path)
    yield db
    db.close()


def completions_file(folder: Path, *rows: tuple[str, ...], name: str = "c.csv") -> Path:
    path = folder / name
    lines = ["practitioner_id,name,credential,provider,completion_date"]
    lines += [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
