"""`signoff`: an EAG member signs off a round's recommendations, or anyone sees where it stands.

`panel-desk signoff --round REF --as EMAIL` signs the round's recommendation set with the
member's key (abstaining, on the record, where they are conflicted); `--status` shows the
signatures so far against the quorum, what blocks sign-off, and any signature voided.
"""

from __future__ import annotations

import argparse
from typing import Any

from panel_desk.cli.common import Commands, database, print_json
from panel_desk.cli.passphrase import add_passphrase_options, passphrase_from
from panel_desk.errors import BadInput
from panel_desk.services import keys, signoff


def status_json(status: signoff.SignOffStatus) -> dict[str, Any]:
    return {
        "round": status.round_ref,
        "state": status.state,
        "digest": status.digest,
        "quorum": status.quorum,
        "complete": status.complete,
        "blockers": list(status.blockers),
        "short": list(status.short),
        "signatures": [
            {
                "signer": s.signer,
                "name": s.name,
                "signed_at": s.signed_at.isoformat(),
                "abstains_on": list(s.abstentions),
                "statement": s.statement,
                "counts": s.counts,
                "problem": s.problem or None,
            }
            for s in status.signatures
        ],
    }


def print_status(status: signoff.SignOffStatus) -> None:
    print(status.headline())
    print(f"  recommendation set SHA-256 {status.digest}")
    for blocker in status.blockers[:20]:
        print(f"  to resolve: {blocker}")
    if len(status.blockers) > 20:
        print(f"  … and {len(status.blockers) - 20} more")
    for s in status.signatures:
        abstains = f", abstaining on {', '.join(s.abstentions)}" if s.abstentions else ""
        state = "counts" if s.counts else f"does not count: {s.problem}"
        print(f"  {s.name} <{s.signer}> {s.signed_at:%Y-%m-%d %H:%M}{abstains}: {state}")
    for ref in status.short:
        print(f"  {ref}: too few signatories who did not abstain on it")


def cmd_signoff(args: argparse.Namespace) -> int:
    db = database(args)
    email = getattr(args, "as_email", None)
    if args.status:
        status = db.read(signoff.signoff_status, args.round)
        print_json(status_json(status)) if args.json else print_status(status)
        return 0
    if not email:
        raise BadInput(
            "--as", "say which EAG member signs (--as EMAIL), or give --status to see the state"
        )
    try:
        signed = db.run(
            signoff.sign_off,
            args.round,
            email,
            passphrase=passphrase_from(args, f"the private key of {email}"),
            statement_text=args.statement or "",
        )
    except keys.NoSecureKeyring as exc:
        raise BadInput(
            exc.source,
            f"{exc.problem}; give --passphrase-file FILE or --ask-passphrase for a key kept in "
            "a passphrase-protected file",
        ) from None
    if args.json:
        print_json(status_json(signed.status))
        return 0
    if signed.voided:
        print(f"{signed.voided} earlier signature(s) voided: the recommendations changed since")
    print(f"{args.round} signed off by {signed.signer}")
    for conflict in signed.abstentions:
        print(f"  abstained on {conflict}")
    print_status(signed.status)
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "signoff",
        cmd_signoff,
        "sign off a round's recommendations as an EAG member (--as), or see where it stands",
        person=True,
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--status", action="store_true", help="show the sign-off; sign nothing")
    sub.add_argument(
        "--statement",
        metavar="TEXT",
        help="what you say with your signature, e.g. how you handled a conflict of interest",
    )
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    add_passphrase_options(sub)
