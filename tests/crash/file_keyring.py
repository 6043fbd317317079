"""A keyring kept in one JSON file named by $PANEL_DESK_TEST_KEYRING, for child processes.

Child processes in the kill loop cannot share the tests' in-memory keyring; this one lets
them seal the audit head with a key the parent can then check, and never touches the real
user's keyring. Selected with PYTHON_KEYRING_BACKEND=tests.crash.file_keyring.FileKeyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["PANEL_DESK_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path().read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        # One partial file per process: two children sealing their first event at once
        # must not replace each other's half-written file (the loser's replace failed and
        # it wrote its events unsealed).
        partial = self._path().with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(data))
        partial.replace(self._path())

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self._path().write_text(json.dumps(data))
