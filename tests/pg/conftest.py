"""Fixtures of the PostgreSQL hub tests: a private copy of the demo on this run's server,
and keys kept in memory, apart from the user's keyring (for the modules that ask)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.crypto.support import MemoryKeyring, keys_kept_apart


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def hub_url(pg_database: Callable[[str], str]) -> str:
    """A private copy of the demo on this run's PostgreSQL server."""
    return pg_database("demo")
