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

import ast
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from panel_desk.paths import migrations_dir
from panel_desk.store.engine import MIGRATION_LOCK, is_postgresql, sqlite_path

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "alembic_version"
_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)
"""`revision = "0008"` and `down_revision: str | None = "0007"` in a migration script."""


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def scripted_head() -> str | None:
    """The head revision read from the scripts' own lines, without importing Alembic (a
    third of a second at every start): each script's `revision` and `down_revision`, and
    the one revision no other script revises. None when that is not one revision (a
    branch, or a line this reading does not understand): then ask Alembic."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in (migrations_dir() / "versions").glob("*.py"):
        found = dict(_ASSIGNED.findall(script.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        revised.update([down] if isinstance(down, str) else down or ())
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def stamped_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, read with plain SQL (None: not stamped)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        versions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return versions[0][0] if len(versions) == 1 else None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

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
    """Migrate to head; return the backup made first, if an existing schema was upgraded.

    A database already at head (every start but the first after an update) is told so by
    plain SQL against the scripts' head, and Alembic is never imported."""
    head = scripted_head()
    if head is not None and stamped_revision(engine) == head:
        return None
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

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
