"""Migrations: they build exactly the models' schema, back up before upgrading, and refuse a
database from a newer panel_desk without touching it. On SQLite and on PostgreSQL (the
tests that take a database fixture run on both; see tests/conftest.py)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from panel_desk.errors import BadInput
from panel_desk.paths import migrations_dir
from panel_desk.services.database import Database, open_database
from panel_desk.store import migrate
from panel_desk.store.base import Base
from panel_desk.store.engine import create_database_engine
from tests.dbstate import fingerprint


def _dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def _url(where: Path | str) -> str:
    return where if isinstance(where, str) else f"sqlite:///{where}"


def _scalar(where: Path | str, sql: str, write: bool = False):
    """One value of `sql`, run behind the application's back (committed when `write`)."""
    engine = create_engine(_url(where))
    try:
        with engine.begin() as connection:
            result = connection.exec_driver_sql(sql)
            return None if write else result.scalar()
    finally:
        engine.dispose()


def _no_backups_beside(where: Path | str) -> bool:
    """No migration backup beside a SQLite file (a PostgreSQL hub is backed up with pg_dump)."""
    return isinstance(where, str) or not list(where.parent.glob("*.bak"))


def test_the_migrations_build_exactly_the_models(empty_db: Database) -> None:
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == [], (
        "the models and db/versions disagree: run `python -m panel_desk.store.revise`"
    )


def test_a_new_database_is_at_head_and_needs_no_backup(empty_db: Database) -> None:
    assert migrate.current_revision(empty_db.engine) == migrate.head_revision() is not None
    assert empty_db.migration_backup is None


def test_opening_a_database_at_head_again_changes_nothing(demo_path: Path) -> None:
    before = fingerprint(demo_path)

    db = open_database(demo_path)

    assert db.migration_backup is None
    assert _no_backups_beside(demo_path)
    db.close()
    assert fingerprint(demo_path) == before


def test_a_database_stamped_back_to_nothing_is_built_again(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite"
    open_database(path).close()
    engine = create_database_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        config = migrate.alembic_config(f"sqlite:///{path}")
        config.attributes["connection"] = connection
        command.stamp(config, "base")
        Base.metadata.drop_all(connection)
    engine.dispose()
    assert migrate.current_revision(create_database_engine(f"sqlite:///{path}")) is None

    db = open_database(path)

    assert migrate.current_revision(db.engine) == migrate.head_revision()
    assert db.migration_backup is None, "there was no schema to keep"
    assert _scalar(path, "SELECT count(*) FROM sqlite_master WHERE name = 'submission'") == 1
    db.close()


NEXT_MIGRATION = '''"""a later release: people get a nickname

Revision ID: 9001
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On SQLite, recreate="always": the copy-and-rename that cascades deletes if foreign
    # keys are on. PostgreSQL alters the table in place ("auto"), as real migrations do.
    sqlite = op.get_context().dialect.name == "sqlite"
    with op.batch_alter_table("person", recreate="always" if sqlite else "auto") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("nickname")
'''


@pytest.fixture
def later_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The migrations of a later panel_desk: today's plus one that rebuilds `person`."""
    head = migrate.head_revision()
    folder = tmp_path / "db-later"
    shutil.copytree(migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "9001_nickname.py").write_text(NEXT_MIGRATION.format(head=head))
    monkeypatch.setattr(migrate, "migrations_dir", lambda: folder)
    return head


def test_upgrading_an_older_database_backs_it_up_and_keeps_every_row(
    demo_path: Path, later_release: str
) -> None:
    on_sqlite = isinstance(demo_path, Path)
    before = _dump(demo_path) if on_sqlite else None
    roles = _scalar(demo_path, "SELECT count(*) FROM person_role")
    assert roles > 0

    db = open_database(demo_path)

    assert migrate.current_revision(db.engine) == "9001"
    assert _scalar(demo_path, "SELECT count(*) FROM person_role") == roles, (
        "rebuilding person must not cascade-delete the rows that refer to it"
    )
    assert _scalar(demo_path, "SELECT count(*) FROM person WHERE nickname IS NULL") > 0
    if on_sqlite:
        backup = db.migration_backup
        assert backup is not None and backup.parent == demo_path.parent
        assert f".before-{later_release}-" in backup.name
        assert _dump(backup) == before, "the backup is the database as it was"
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    else:
        assert db.migration_backup is None, "a server's database is backed up with pg_dump"
    db.close()


def test_a_database_from_a_newer_release_is_refused_untouched(run_cli, demo_path: Path) -> None:
    _scalar(demo_path, "UPDATE alembic_version SET version_num = 'f00d'", write=True)
    before = fingerprint(demo_path)
    shown = str(demo_path)
    if not isinstance(demo_path, Path):
        shown = make_url(demo_path).render_as_string(hide_password=True)

    with pytest.raises(BadInput) as caught:
        open_database(demo_path)
    code, out, err = run_cli("audit", "verify", "--db", demo_path)

    assert shown in str(caught.value)
    assert "newer panel_desk" in caught.value.problem
    assert code == 2 and out == ""
    assert "newer panel_desk" in err and "Traceback" not in err
    assert fingerprint(demo_path) == before
    assert _no_backups_beside(demo_path), "no backup of a database we did not open"
