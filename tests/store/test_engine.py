"""Engines and databases: SQLite set up safely, --db understood, bad files refused cleanly.

The tests that take a database fixture run on SQLite and on PostgreSQL (tests/conftest.py);
PostgreSQL's own set-up (the writer's lock, isolation) is tested in tests/pg/."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from panel_desk.errors import BadInput
from panel_desk.services.database import Database, open_database
from panel_desk.store.database import blob_root
from panel_desk.store.engine import database_url, sqlite_path
from panel_desk.store.models import Organisation, Round


@pytest.mark.sqlite_only("PRAGMA foreign_keys, WAL and busy_timeout are SQLite's settings")
def test_connections_have_foreign_keys_on_and_wal(empty_db: Database) -> None:
    connections = [empty_db.engine.connect() for _ in range(3)]  # the migration's one, and new
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        for connection in connections:
            connection.close()


def test_a_dangling_reference_is_refused_by_the_database(empty_db: Database) -> None:
    with (
        pytest.raises(IntegrityError, match=r"(?i)foreign key"),
        empty_db.transaction() as session,
    ):
        session.execute(
            text("INSERT INTO affiliation (person_id, organisation_id) VALUES (4242, 4242)")
        )


def test_a_failed_transaction_leaves_nothing_behind(empty_db: Database) -> None:
    with pytest.raises(RuntimeError), empty_db.transaction() as session:
        session.add(Organisation(name="Half Written Ltd", key="half written"))
        session.flush()
        raise RuntimeError("the work failed half-way")

    assert empty_db.read(lambda s: s.scalars(select(Organisation)).all()) == []


def test_what_a_read_returns_stays_readable(empty_db: Database) -> None:
    with empty_db.transaction() as session:
        session.add(Organisation(name="Kept Ltd", key="kept"))

    found = empty_db.read(lambda s: s.scalar(select(Organisation)))

    assert (found.name, found.key) == ("Kept Ltd", "kept")


def test_a_read_never_writes(empty_db: Database) -> None:
    with empty_db.reading() as session:
        session.add(Organisation(name="Never Ltd", key="never"))
        session.flush()

    assert empty_db.read(lambda s: s.scalars(select(Organisation)).all()) == []


# --- what --db may be --------------------------------------------------------------------


def test_a_path_becomes_an_absolute_sqlite_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    assert database_url(tmp_path / "a.sqlite") == f"sqlite:///{tmp_path / 'a.sqlite'}"
    assert database_url("rel/b.sqlite") == f"sqlite:///{tmp_path / 'rel' / 'b.sqlite'}"
    assert database_url("~/c.sqlite") == f"sqlite:///{tmp_path / 'home' / 'c.sqlite'}"
    assert sqlite_path(database_url("rel/b.sqlite")) == tmp_path / "rel" / "b.sqlite"


def test_a_url_is_kept_as_it_is() -> None:
    for url in ("sqlite:////srv/hub.sqlite", "postgresql+psycopg://u:p@hub.local/panels"):
        assert database_url(url) == url
    assert sqlite_path("sqlite:////srv/hub.sqlite") == Path("/srv/hub.sqlite")
    assert sqlite_path("postgresql+psycopg://u:p@hub.local/panels") is None
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None


def test_a_folder_or_a_malformed_url_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as caught:
        database_url(tmp_path)
    assert caught.value.source == str(tmp_path)
    assert "folder" in caught.value.problem

    with pytest.raises(BadInput) as caught:
        database_url("://nowhere")
    assert caught.value.source == "--db"


def test_a_file_that_is_not_a_database_is_bad_input_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "minutes.sqlite"
    content = b"Minutes of the panel meeting\n" * 300
    path.write_bytes(content)

    with pytest.raises(BadInput) as caught:
        open_database(path)

    assert str(path) in str(caught.value)
    assert "cannot be opened as a panel_desk database" in caught.value.problem
    assert path.read_bytes() == content
    assert list(tmp_path.iterdir()) == [path], "no backup, journal or document folder left"


def test_a_missing_driver_or_unknown_kind_of_database_is_bad_input() -> None:
    with pytest.raises(BadInput, match="not installed"):
        open_database("mysql://u:p@hub.local/panels")
    with pytest.raises(BadInput, match="'postgress' is not a kind of database"):
        open_database("postgress://hub.local/panels")


def test_a_new_database_is_created_with_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "hub.sqlite"

    db = open_database(path)

    assert db.path == path and path.is_file()
    assert db.read(lambda s: s.scalars(select(Round)).all()) == []
    assert blob_root(db.url) == tmp_path / "deep" / "er" / "hub.sqlite.blobs"
    assert db.display_name == str(path)
    db.close()


def test_an_in_memory_database_works(tmp_path: Path) -> None:
    db = open_database("sqlite://")

    assert db.path is None
    assert db.read(lambda s: s.scalars(select(Round)).all()) == []
    db.close()


def test_a_database_on_a_network_share_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("panel_desk.services.database.on_network_share", lambda path: True)
    warnings: list[str] = []

    db = open_database(tmp_path / "shared.sqlite", warn=lambda *a, **kw: warnings.append(a[0]))

    assert len(warnings) == 1
    assert "network share" in warnings[0] and str(tmp_path / "shared.sqlite") in warnings[0]
    db.close()
