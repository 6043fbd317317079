"""The `panel-desk` command line (see app.py; the app itself starts from gui_launch.py)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from panel_desk.cli.gui_launch import gui_arguments, open_app

    args = gui_arguments(argv)
    if args is not None:
        return open_app(args)
    from panel_desk.cli.app import main as run_command

    return run_command(argv)


def build_parser() -> argparse.ArgumentParser:
    from panel_desk.cli.app import build_parser as build

    return build()


__all__ = ["build_parser", "main"]
