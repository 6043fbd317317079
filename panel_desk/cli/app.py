"""The `panel-desk` command: a stable contract for scripts, checks and power users.

Each command module registers its subcommands; a handler parses nothing itself, opens the
database and calls services. Exit codes: 0 success, 1 a verification failed, 2 bad input
or usage (one line on stderr, never a traceback). Qt is imported only when the GUI or a
screenshot is asked for, so the commands start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from panel_desk import __version__
from panel_desk.cli import (
    appeals,
    audit,
    backup,
    bench,
    conflicts,
    exchange,
    keys,
    packs,
    registers,
    reviewing,
    round_setup,
    signoff,
)
from panel_desk.cli import moderation as moderation_commands
from panel_desk.cli.common import Commands, add_common
from panel_desk.cli.gui_launch import cmd_gui
from panel_desk.errors import BadInput, Cancelled, VerificationFailed

COMMAND_MODULES = [
    round_setup,
    moderation_commands,
    conflicts,
    audit,
    reviewing,
    backup,
    keys,
    exchange,
    signoff,
    packs,
    appeals,
    bench,
    registers,
]
"""Each has `register(commands)`; a capability adds its module here."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panel-desk",
        description="Review panels for credential approval and assurance. "
        "With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"panel_desk {__version__}")
    add_common(parser, person=True)
    parser.add_argument(
        "--screenshot", metavar="FILE", help="render the main window to a PNG, exit"
    )
    parser.add_argument("--view", metavar="NAME", help="the view to render with --screenshot")
    parser.set_defaults(handler=cmd_gui)
    commands = Commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BadInput as exc:
        print(f"panel-desk: {exc}", file=sys.stderr)
        return 2
    except VerificationFailed as exc:
        print(f"panel-desk: {exc}", file=sys.stderr)
        return 1
    except Cancelled:
        print("panel-desk: cancelled; nothing was changed", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("panel-desk: interrupted; the transaction was rolled back", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `panel-desk screening … | head`: not an error
        sys.stderr.close()
        return 0
