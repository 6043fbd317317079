"""Opening the database a command or the GUI works on, with errors a user can act on."""

from __future__ import annotations

import os
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, NoSuchModuleError, OperationalError

from panel_desk.errors import BadInput
from panel_desk.paths import default_database_path
from panel_desk.store.database import Database
from panel_desk.store.engine import database_url, on_network_share, sqlite_path
from panel_desk.store.migrate import NewerSchema

__all__ = ["Database", "open_database"]


def open_database(db: str | os.PathLike[str] | None = None, *, warn=print) -> Database:
    """The database at `db` (a path or URL; the user's default when None), at schema head."""
    url = database_url(db if db is not None else default_database_path())
    path = sqlite_path(url)
    # A hub's URL may hold a password: never show it in a message.
    shown = str(path) if path else make_url(url).render_as_string(hide_password=True)
    if path is not None and on_network_share(path):
        warn(
            f"warning: {path} is on a network share, where SQLite cannot keep it safe; "
            "keep the database on a local disk and exchange packet and return files instead",
            file=sys.stderr,
        )
    _check_driver(url)
    try:
        return Database(url)
    except NewerSchema:
        raise BadInput(
            shown, "was written by a newer panel_desk; update panel_desk to open it"
        ) from None
    except (DatabaseError, OperationalError) as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        raise BadInput(shown, f"cannot be opened as a panel_desk database ({reason})") from None


def _check_driver(url: str) -> None:
    """BadInput when SQLAlchemy cannot talk to this kind of database here.

    A mistyped scheme or a hub URL on a machine without the driver (psycopg for PostgreSQL)
    would otherwise surface as an import error with a traceback.
    """
    parsed = make_url(url)
    try:
        parsed.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise BadInput(
            "--db", f"{parsed.drivername!r} is not a kind of database panel_desk can open"
        ) from None
    except ImportError as exc:
        raise BadInput(
            "--db",
            f"the driver for {parsed.drivername} databases is not installed ({exc.name or exc})",
        ) from None
