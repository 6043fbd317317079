"""`panel-desk` with no command opens the app: recognised here without loading the commands.

Building the full parser imports every command module and, through them, most of the
services (PDF drawing, signing, exchange files): over a second before the window could
appear. A command line that only names the app's own options (--db, --as, --screenshot,
--view) is parsed by a parser that knows just those; anything else (a command, --help,
--version, an option added to the commands later) goes to the full parser in app.py,
so this path can only be slower when it does not apply, never wrong.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from panel_desk.errors import BadInput


def gui_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace | None:
    """The app's options when the command line asks for nothing but the app, else None."""
    given = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--db")
    parser.add_argument("--as", dest="as_email")
    parser.add_argument("--screenshot")
    parser.add_argument("--view")
    try:
        args, rest = parser.parse_known_args(given)
    except argparse.ArgumentError:
        return None  # the full parser says what is wrong, as for any command
    return None if rest else args


def cmd_gui(args: argparse.Namespace) -> int:
    from panel_desk.ui.app import run_gui  # Qt only when the GUI is wanted

    return run_gui(
        db=getattr(args, "db", None),
        as_email=getattr(args, "as_email", None),
        screenshot=Path(args.screenshot) if args.screenshot else None,
        view=args.view,
    )


def open_app(args: argparse.Namespace) -> int:
    """cmd_gui with the exit codes of every command (app.py's main).

    No garbage collection until the window is up (ui/app.py `settle_after_start` turns it
    back on): starting makes a few hundred thousand objects that live as long as the app,
    and the collector's passes over them were an eighth of the start's time."""
    gc.disable()
    try:
        return cmd_gui(args)
    except BadInput as exc:
        print(f"panel-desk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        gc.enable()
