"""Bringing a database's schema to the newest migration, safely.

Migrations run with foreign keys off on SQLite: Alembic's batch mode rebuilds a table by
copy-and-rename, and with foreign keys on, dropping the old parent table silently deletes
child rows through ON DELETE CASCADE. A SQLite file is copied aside before any upgrade
of an existing schema, so a failed or unwanted migration can be undone by hand.

On PostgreSQL the whole upgrade is one transaction (its DDL is transactional) under an
advisory lock, so two users opening a shared hub at once after an update migrate it once:
the second waits, then finds the schema at head. Back a hub up with pg_dump first.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from panel_desk.paths import migrations_dir
from panel_desk.store.engine import MIGRATION_LOCK, is_postgresql, sqlite_path


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup_copy(path: Path, revision: str) -> Path:
    """Copy a SQLite database (WAL included, via the online backup API) next to itself."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.before-{revision}-{stamp}.bak")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


class NewerSchema(Exception):
    """The database is at a revision this panel_desk does not know: a newer one wrote it."""

    def __init__(self, revision: str) -> None:
        super().__init__(f"schema revision {revision} is unknown to this panel_desk")
        self.revision = revision


def upgrade_to_head(engine: Engine) -> Path | None:
    """Migrate to head; return the backup made first, if an existing schema was upgraded."""
    current = current_revision(engine)
    head = head_revision()
    if current == head or head is None:
        return None
    url = engine.url.render_as_string(hide_password=False)
    # Refuse a newer schema before copying anything: a database we will not open must not
    # gain a backup file beside it each time someone tries.
    script = ScriptDirectory.from_config(alembic_config(url))
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise NewerSchema(current)
    path = sqlite_path(url)
    backup = backup_copy(path, current) if (path is not None and current is not None) else None
    config = alembic_config(url)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection  # PRAGMAs must run outside BEGIN
        if path is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if is_postgresql(engine):
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                    if MigrationContext.configure(connection).get_current_revision() == head:
                        return None  # someone else upgraded it while we waited
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            if path is not None:
                raw.execute("PRAGMA foreign_keys=ON")
    return backup
