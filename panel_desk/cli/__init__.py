"""The `panel-desk` command line (see app.py)."""

from panel_desk.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
