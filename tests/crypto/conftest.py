"""Every crypto test gets its own keyring and key folder (see support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crypto.support import MemoryKeyring, keys_kept_apart


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory
