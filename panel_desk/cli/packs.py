"""`pack export`: the decision pack of a signed-off round (refused until sign-off is complete).

`verify PATH` (cli/exchange.py) checks a pack anywhere. The export signs with each
signatory's key on this machine; a key kept in a passphrase-protected file takes the
passphrase from --passphrase-file (the same for every such key) or asks on the terminal.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_desk.cli.common import Commands, actor, database, progress_on_terminal
from panel_desk.cli.passphrase import add_passphrase_options, passphrase_from
from panel_desk.errors import BadInput
from panel_desk.services import keys, packs


def cmd_pack_export(args: argparse.Namespace) -> int:
    db = database(args)
    who = actor(args, db)
    try:
        made = db.run(
            packs.export_pack,
            args.round,
            Path(args.out),
            actor=who,
            passphrase_for=lambda email: passphrase_from(args, f"the private key of {email}"),
            progress=progress_on_terminal,
        )
    except keys.NoSecureKeyring as exc:
        raise BadInput(exc.source, exc.problem) from None
    print(
        f"decision pack of {made.round_ref} written to {made.path}: {made.files} files, "
        f"{made.letters} feedback letters; the decision record is signed by "
        f"{', '.join(made.signatories)}"
    )
    print(f"  recommendation set SHA-256 {made.digest}")
    print(f"  check it anywhere with: panel-desk verify {made.path}")
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "export",
        cmd_pack_export,
        "write a signed-off round's decision pack (a new folder, or FILE.pdpack)",
        person=True,
        group="pack",
        group_help="decision packs: the signed record of a round's decisions",
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--out", required=True, metavar=f"DIR|FILE{packs.SUFFIX}")
    add_passphrase_options(sub)
