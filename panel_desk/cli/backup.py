"""`backup --out FILE` and `restore FILE`: a safe copy of the database and its documents."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from panel_desk.cli.common import Commands, database
from panel_desk.errors import BadInput
from panel_desk.services import backup


def cmd_backup(args: argparse.Namespace) -> int:
    _, path = backup.database_target(getattr(args, "db", None))
    if path is not None and not path.exists():  # opening it would create an empty one
        raise BadInput(str(path), "no such database to back up")
    result = backup.make_backup(database(args), Path(args.out))
    print(result)
    if result.missing:
        print(
            f"panel-desk: warning: {len(result.missing)} documents were missing or damaged in "
            f"the store and are not in the backup (first: {result.missing[0]})",
            file=sys.stderr,
        )
    if not result.intact:
        print("panel-desk: warning: the audit trail was not intact when backed up", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    url, _ = backup.database_target(getattr(args, "db", None))
    result = backup.restore_backup(Path(args.file), url, f"local:{getpass.getuser()}")
    print(result)
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "backup",
        cmd_backup,
        "write the database and its documents to one file (safe while the app runs)",
    )
    sub.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    sub = commands.add(
        "restore",
        cmd_restore,
        "check a backup whole, then restore it into --db (the current one is kept aside)",
    )
    sub.add_argument("file", metavar="FILE", help="a file written by `panel-desk backup`")
