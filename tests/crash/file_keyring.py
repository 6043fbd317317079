"""A keyring kept in one JSON file named by $PANEL_DESK_TEST_KEYRING, for child processes.

Child processes in the kill loop cannot share the tests' in-memory keyring; this one lets
them seal the audit head with a key the parent can then check, and never touches the real
user's keyring. Selected with PYTHON_KEYRING_BACKEND=tests.crash.file_keyring.FileKeyring.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
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

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Children run two at a time on one file: each read-change-write holds the lock,
        or one child's key is lost to the other's write (seen: a demo's authority key, and
        a seal key written half-way, leaving the events unsealed)."""
        with self._path().with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, data: dict[str, str]) -> None:
        partial = self._path().with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(data))
        partial.replace(self._path())

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._locked():
            data = self._load()
            data[f"{service}\n{username}"] = password
            self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        with self._locked():
            data = self._load()
            data.pop(f"{service}\n{username}", None)
            self._save(data)
