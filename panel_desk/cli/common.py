"""What every command shares: argument types, the database, the acting person, output."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from panel_desk.services import roster
from panel_desk.services.database import Database, open_database

Handler = Callable[[argparse.Namespace], int]
SubParsers = Any  # argparse's _SubParsersAction, which it does not export


def date_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def amount_argument(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None


def print_json(value: Any) -> None:
    """One JSON document on stdout, as `--json` promises."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def database(args: argparse.Namespace) -> Database:
    """--db, else the default database chosen in the GUI's Settings, else the user's own."""
    db = getattr(args, "db", None)
    if db is None:
        from panel_desk import preferences  # Qt's settings store: read only when needed

        db = preferences.default_database()
    return open_database(db)


def actor(args: argparse.Namespace, db: Database) -> str:
    """Who the audit trail records: --as (checked against the roster) or the OS user."""
    email = getattr(args, "as_email", None)
    if not email:
        return f"local:{getpass.getuser()}"
    return db.read(lambda s: roster.person_by_email(s, email).email)


def add_common(parser: argparse.ArgumentParser, person: bool = False) -> None:
    """--db on every command, --as where a person acts; accepted before or after the command."""
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="PATH|URL",
        help="database file or SQLAlchemy URL (default: the one chosen in Settings, else your "
        "user data folder)",
    )
    if person:
        parser.add_argument(
            "--as",
            dest="as_email",
            default=argparse.SUPPRESS,
            metavar="EMAIL",
            help="the person acting (their role applies, their key signs)",
        )


class Commands:
    """Registers commands and command groups (`round create`, `audit verify`) on the parser."""

    def __init__(self, subparsers: SubParsers) -> None:
        self._top = subparsers
        self._groups: dict[str, SubParsers] = {}

    def group(self, name: str, help: str) -> SubParsers:
        if name not in self._groups:
            parser = self._top.add_parser(name, help=help, description=help)
            self._groups[name] = parser.add_subparsers(
                dest=f"{name}_command", metavar="COMMAND", required=True
            )
        return self._groups[name]

    def add(
        self,
        name: str,
        handler: Handler,
        help: str,
        person: bool = False,
        group: str | None = None,
        group_help: str = "",
    ) -> argparse.ArgumentParser:
        where = self.group(group, group_help) if group else self._top
        parser = where.add_parser(name, help=help, description=help)
        add_common(parser, person)
        parser.set_defaults(handler=handler)
        return parser


def progress_on_terminal(done: int, total: int, text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{text} {done}/{total}   ")
        if done >= total:
            sys.stderr.write("\n")
