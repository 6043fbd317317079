"""Shared test set-up: headless Qt, a private home for settings and data, databases.

Environment is set at import time, before anything imports Qt, keyring or platformdirs,
so no test can touch the real user's data, settings or keyring.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_HOME = Path(tempfile.mkdtemp(prefix="panel-desk-tests-"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_DATA_HOME"] = str(_HOME / "data")
os.environ["XDG_CONFIG_HOME"] = str(_HOME / "config")
os.environ["XDG_CACHE_HOME"] = str(_HOME / "cache")

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402

from panel_desk import cli  # noqa: E402
from panel_desk.services import demo  # noqa: E402
from panel_desk.services.database import Database, open_database  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything when the tests end."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


keyring.set_keyring(MemoryKeyring())


def copy_database(source: Path, target: Path) -> Path:
    """Copy a SQLite database file with its document store."""
    shutil.copyfile(source, target)
    blobs = source.with_name(source.name + ".blobs")
    if blobs.exists():
        shutil.copytree(blobs, target.with_name(target.name + ".blobs"))
    return target


def _build_template(folder: Path, signed_round: bool) -> Path:
    path = folder / "demo.sqlite"
    db = open_database(path)
    demo.build_demo(db, signed_round=signed_round)
    db.engine.dispose()
    # Fold the WAL into the main file so a plain file copy is complete.
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo, built once per test session; tests get copies. Without the finished
    (signed-off) round of `panel-desk demo`, which the tests that need it take from
    `signed_demo_template`: the rest expect the current call to be the first round."""
    return _build_template(tmp_path_factory.mktemp("demo-template"), signed_round=False)


@pytest.fixture(scope="session")
def signed_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as `panel-desk demo` makes it, with its round already signed off (the
    signatories' and the authority's keys are in this session's keyring)."""
    return _build_template(tmp_path_factory.mktemp("signed-demo-template"), signed_round=True)


@pytest.fixture
def signed_demo_path(signed_demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo with its signed-off round."""
    return copy_database(signed_demo_template, tmp_path / "signed-demo.sqlite")


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database, for a test that may change it."""
    return copy_database(demo_template, tmp_path / "demo.sqlite")


@pytest.fixture
def demo_db(demo_path: Path) -> Iterator[Database]:
    db = open_database(demo_path)
    yield db
    db.close()


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "hub.sqlite")
    yield db
    db.close()


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `panel-desk ARGS…` in this process; returns (exit code, stdout, stderr)."""

    def run(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = cli.main([os.fspath(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
