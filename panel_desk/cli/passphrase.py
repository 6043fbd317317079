"""Passphrases for keys kept in a protected file (where there is no secure keyring).

Every command that makes or uses a private key takes `--passphrase-file FILE` (the first
line of FILE) or `--ask-passphrase` (asked on the terminal, never echoed): call
`add_passphrase_options(parser)` when registering it, and hand `passphrase_from(args, label)`
to the service, which asks for it only if the key turns out to be in a file.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from panel_desk.errors import BadInput


def add_passphrase_options(parser: argparse.ArgumentParser, *, authority: bool = False) -> None:
    """--passphrase-file / --ask-passphrase (and the authority's, for commands on the hub)."""
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="the passphrase of a key kept in a protected file, on the first line of FILE",
    )
    parser.add_argument(
        "--ask-passphrase", action="store_true", help="ask for that passphrase on the terminal"
    )
    if authority:
        parser.add_argument(
            "--authority-passphrase-file",
            metavar="FILE",
            help="the passphrase of the authority's key, when it is kept in a protected file",
        )


def _read_passphrase_file(path: str, option: str) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(option, f"cannot read {path} ({exc})") from None
    if not lines or not lines[0]:
        raise BadInput(option, f"{path} has no passphrase on its first line")
    return lines[0]


def _ask(label: str, *, confirm: bool) -> str:
    if not sys.stdin.isatty():
        raise BadInput(
            "--ask-passphrase", "needs a terminal to ask on; give --passphrase-file FILE"
        )
    first = getpass.getpass(f"passphrase for {label}: ")
    if confirm and getpass.getpass("the same passphrase again: ") != first:
        raise BadInput("passphrase", "the two passphrases differ; nothing was changed")
    return first


def passphrase_from(
    args: argparse.Namespace, label: str, *, authority: bool = False
) -> Callable[[], str | None]:
    """A passphrase source for a key that may be in a protected file: asked only if it is.

    From the file option, else the terminal (when --ask-passphrase, or when one is there),
    else a BadInput saying which option to give.
    """
    option = "--authority-passphrase-file" if authority else "--passphrase-file"

    def source() -> str | None:
        file = getattr(args, option[2:].replace("-", "_"), None)
        if file:
            return _read_passphrase_file(file, option)
        if getattr(args, "ask_passphrase", False) or sys.stdin.isatty():
            return _ask(label, confirm=False)
        raise BadInput(
            label,
            f"is kept in a passphrase-protected file: give {option} FILE, or run in a "
            "terminal to be asked",
        )

    return source


def new_passphrase(args: argparse.Namespace, label: str) -> str | None:
    """The passphrase for a key about to be made, when the user chose a protected file."""
    if getattr(args, "passphrase_file", None):
        return _read_passphrase_file(args.passphrase_file, "--passphrase-file")
    if getattr(args, "ask_passphrase", False):
        return _ask(label, confirm=True)
    return None
