"""Shared test set-up: headless Qt, a private home for settings and data, databases.

Environment is set at import time, before anything imports Qt, keyring or platformdirs,
so no test can touch the real user's data, settings or keyring.

Two engines. The database fixtures (demo_path, demo_db, empty_db, signed_demo_path) hand
out SQLite files, except in the modules of `BOTH_ENGINES`, whose tests run once on SQLite
and once on a throwaway PostgreSQL server (tests/pg_server.py): there the `backend`
fixture is parametrised, and on PostgreSQL `demo_path` is the URL of a private copy of the
demo (a str: `open_database`, `run_cli("--db", …)` and `fingerprint` take either). A test
that is SQLite's alone (WAL, file backup, PRAGMA, editing the file behind the app's back)
says so with `@pytest.mark.sqlite_only("why")`. The PostgreSQL leg is skipped, with the
reason printed, only where PostgreSQL cannot be had (see tests/pg_server.py).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
from panel_desk.store.database import blob_root  # noqa: E402
from tests import pg_server  # noqa: E402

BOTH_ENGINES = (
    # The store itself: engine set-up, migrations equal to the models, on either engine.
    "tests/store/",
    # The domain's writes a shared hub takes: imports, screening, conflicts, assignment,
    # returns, moderation, sign-off, the audit trail, and the demo built on the hub.
    "tests/services/test_roster_import.py",
    "tests/services/test_submissions_import.py",
    "tests/services/test_rounds.py",
    "tests/services/test_screening.py",
    "tests/services/test_conflicts.py",
    "tests/services/test_assignment.py",
    "tests/services/test_returns.py",
    "tests/services/test_return_batch.py",
    "tests/services/test_moderation.py",
    "tests/services/test_signoff.py",
    "tests/services/test_audit.py",
    "tests/services/test_audit_trail.py",
    "tests/services/test_demo.py",
    # Reviewer packets issued from a hub (the reviewer's own database is SQLite).
    "tests/services/test_packets.py",
    "tests/services/test_packet_returns.py",
    "tests/pg/",
)
"""Test modules (or folders) whose tests run on SQLite and on PostgreSQL."""
ENGINES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): a test of SQLite's own (WAL, file backup, PRAGMA)"
    )


def _on_both_engines(metafunc: pytest.Metafunc) -> bool:
    where = Path(metafunc.definition.path).relative_to(Path(__file__).parent.parent).as_posix()
    if not any(where == m or (m.endswith("/") and where.startswith(m)) for m in BOTH_ENGINES):
        return False
    return metafunc.definition.get_closest_marker("sqlite_only") is None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and _on_both_engines(metafunc):
        metafunc.parametrize("backend", ENGINES, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None and not (marker.args or marker.kwargs.get("reason")):
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason")


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
SESSION_KEYRING = keyring.get_keyring()


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


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The engine this test's databases are on: "sqlite" unless the test is in
    BOTH_ENGINES, which runs it on each."""
    return getattr(request, "param", "sqlite")


class PostgresHub:
    """The throwaway server of this run, and databases on it made from templates."""

    def __init__(self, server: pg_server.ThrowawayServer) -> None:
        from sqlalchemy import create_engine

        self.server = server
        self.admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        self.prefix = f"pd_{os.getpid()}_"
        self._numbers = itertools.count(1)
        self._templates: dict[str, tuple[str, Path]] = {}  # kind → (database, its blobs)
        with self.admin.connect() as connection:
            version = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
        # A plain file copy is the quicker for small databases (no fsync on this server).
        self._strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""

    def _sql(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(statement)

    def new_url(self, template: str = "template0", blobs: Path | None = None) -> str:
        """The URL of a new database, a copy of `template` (and of its document store
        `blobs`, put where this test's panel_desk will look for it)."""
        name = f"{self.prefix}{next(self._numbers)}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{self._strategy}')
        url = self.server.url(name)
        if blobs is not None and blobs.exists():
            shutil.copytree(blobs, blob_root(url))
        return url

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(blob_root(url), ignore_errors=True)

    def copy(self, kind: str, build: Callable[[Database], Any]) -> str:
        """The URL of a new copy of the template database `kind`, built once by `build`
        (on an empty hub)."""
        if kind not in self._templates:
            url = self.new_url()
            # Built with this session's keyring, as the SQLite templates are, whichever
            # test (perhaps with a keyring of its own) first asks for it: the audit head is
            # then sealed by "this machine" and the demo's keys are the session's.
            from panel_desk.services.audit_seal import forget_cached_key

            before = keyring.get_keyring()
            keyring.set_keyring(SESSION_KEYRING)
            forget_cached_key()
            db = open_database(url)
            try:
                build(db)
            finally:
                db.close()
                keyring.set_keyring(before)
                forget_cached_key()
            self._templates[kind] = (url.rsplit("/", 1)[1], db.blobs.root)
        return self.new_url(*self._templates[kind])

    def close(self) -> None:
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_hub() -> Iterator[PostgresHub]:
    """This run's PostgreSQL server (started on first use, stopped at the end)."""
    try:
        server = pg_server.start()
    except pg_server.Unavailable as why:
        pytest.skip(f"PostgreSQL leg skipped: {why}")
    hub = PostgresHub(server)
    try:
        yield hub
    finally:
        hub.close()
        server.stop()


@pytest.fixture
def pg_database(postgres_hub: PostgresHub) -> Iterator[Callable[[str], str]]:
    """`pg_database(kind)`: the URL of a private PostgreSQL database for this test, a copy
    of the empty hub ("empty"), the demo ("demo") or the signed-off demo ("signed")."""
    made: list[str] = []
    builders: dict[str, Callable[[Database], Any]] = {
        "empty": lambda db: None,
        "demo": lambda db: demo.build_demo(db, signed_round=False),
        "signed": lambda db: demo.build_demo(db, signed_round=True),
    }

    def make(kind: str) -> str:
        # The demo's people reuse the keys already in this session's keyring, so the
        # SQLite and PostgreSQL demos hold the same signatories' keys whichever came first.
        url = postgres_hub.copy(kind, builders[kind])
        made.append(url)
        return url

    yield make
    for url in made:
        postgres_hub.drop(url)


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
def signed_demo_path(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A private copy of the demo with its signed-off round."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_database")("signed")
    template = request.getfixturevalue("signed_demo_template")
    return copy_database(template, tmp_path / "signed-demo.sqlite")


@pytest.fixture
def demo_path(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A private copy of the demo database, for a test that may change it (on the
    PostgreSQL leg, the URL of a private copy on the throwaway server)."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_database")("demo")
    template = request.getfixturevalue("demo_template")
    return copy_database(template, tmp_path / "demo.sqlite")


@pytest.fixture
def demo_db(demo_path: Path) -> Iterator[Database]:
    db = open_database(demo_path)
    yield db
    db.close()


@pytest.fixture
def empty_db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if backend == "postgresql":
        db = open_database(request.getfixturevalue("pg_database")("empty"))
    else:
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
