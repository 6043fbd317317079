"""Opening the database a command or the GUI works on, with errors a user can act on."""

from __future__ import annotations

import os
import sys

from alembic.util import CommandError
from sqlalchemy.exc import DatabaseError, OperationalError

from panel_desk.errors import BadInput
from panel_desk.paths import default_database_path
from panel_desk.store.database import Database
from panel_desk.store.engine import database_url, on_network_share, sqlite_path

__all__ = ["Database", "open_database"]


def open_database(db: str | os.PathLike[str] | None = None, *, warn=print) -> Database:
    """The database at `db` (a path or URL; the user's default when None), at schema head."""
    url = database_url(db if db is not None else default_database_path())
    path = sqlite_path(url)
    shown = str(path) if path else url
    if path is not None and on_network_share(path):
        warn(
            f"warning: {path} is on a network share, where SQLite cannot keep it safe; "
            "keep the database on a local disk and exchange packet and return files instead",
            file=sys.stderr,
        )
    try:
        return Database(url)
    except CommandError as exc:
        if "Can't locate revision" in str(exc):
            raise BadInput(
                shown, "was written by a newer panel_desk; update panel_desk to open it"
            ) from None
        raise
    except (DatabaseError, OperationalError) as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        raise BadInput(shown, f"cannot be opened as a panel_desk database ({reason})") from None
