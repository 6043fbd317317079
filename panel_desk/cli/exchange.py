"""`packet …`, `return …` and `verify`: the files that carry peer review offline.

On the hub: `packet export` (signed by the secretariat), `return import`, `return status`.
On a reviewer's machine: `packet import`, then (after scoring) `return export`, signed
with the reviewer's own key. `verify PATH` checks a packet or a return (and, once decision
packs exist, a pack) anywhere: exit 0 valid, 1 with each failure listed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_desk.cli.common import (
    Commands,
    actor,
    database,
    print_json,
    progress_on_terminal,
)
from panel_desk.cli.passphrase import add_passphrase_options, passphrase_from
from panel_desk.errors import BadInput, VerificationFailed
from panel_desk.services import keys
from panel_desk.services.exchange import packet_import, packets, return_import, returns, tracking
from panel_desk.services.exchange import verification as checks
from panel_desk.services.exchange.packet_content import SUFFIX as PACKET_SUFFIX


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _no_keyring(exc: keys.NoSecureKeyring) -> BadInput:
    return BadInput(
        exc.source,
        f"{exc.problem}; give --passphrase-file FILE or --ask-passphrase for a key kept in a "
        "passphrase-protected file",
    )


# --- packets ---------------------------------------------------------------------------


def cmd_packet_export(args: argparse.Namespace) -> int:
    db = database(args)
    signer = getattr(args, "as_email", None)
    try:
        issued = db.run(
            packets.export_packet,
            args.round,
            args.reviewer,
            Path(args.out),
            as_email=signer,
            passphrase=passphrase_from(args, f"the private key of {signer or 'the secretariat'}"),
            progress=progress_on_terminal,
        )
    except keys.NoSecureKeyring as exc:
        raise _no_keyring(exc) from None
    print(
        f"packet {issued.sequence} for {issued.reviewer} in {issued.round_ref} written to "
        f"{issued.path}: {_plural(len(issued.submissions), 'submission')} "
        f"({', '.join(issued.submissions)}), {_plural(issued.documents, 'document')}, "
        f"signed by {issued.signed_by}"
    )
    if issued.reviews:
        print(f"it carries the versions the hub holds of {_plural(issued.reviews, 'review')}")
    if not issued.reviewer_enrolled:
        print(
            f"note: {issued.reviewer} has no enrolled key yet, so their return will be refused "
            f"until they enrol: panel-desk keys enrol-code --person {issued.reviewer}"
        )
    return 0


def cmd_packet_import(args: argparse.Namespace) -> int:
    pinned = None
    if args.authority:
        try:
            pinned = Path(args.authority).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(args.authority, f"cannot be read ({exc})") from None
    db = database(args)
    done = db.run(
        packet_import.import_packet,
        Path(args.file),
        authority_pem=pinned,
        progress=progress_on_terminal,
    )
    what = "set up" if done.first else "updated"
    print(
        f"{done.round_ref} {what} for {done.reviewer} on {db.display_name} from packet "
        f"{done.sequence} (signed by {done.signed_by}): "
        f"{_plural(len(done.submissions), 'submission')} to review, "
        f"{_plural(done.documents, 'document')}"
    )
    if done.authority_trusted_now:
        print(
            f"this database now trusts the certificate authority {done.authority}; check its "
            "fingerprint with the secretariat"
        )
    if not done.first:
        if done.added:
            print(f"new assignments: {', '.join(done.added)}")
        if done.withdrawn:
            print(f"withdrawn by the secretariat: {', '.join(done.withdrawn)}")
    if done.reviews_received:
        print(f"{_plural(done.reviews_received, 'review version')} taken from the hub's record")
    print(f"next: score in the app (panel-desk --db {db.display_name} --as {done.reviewer})")
    return 0


# --- returns ---------------------------------------------------------------------------


def cmd_return_export(args: argparse.Namespace) -> int:
    email = getattr(args, "as_email", None)
    if not email:
        raise BadInput("--as", "say whose return this is: --as EMAIL (their key signs it)")
    db = database(args)
    try:
        made = db.run(
            returns.export_return,
            email,
            Path(args.out),
            round_ref=args.round,
            passphrase=passphrase_from(args, f"the private key of {email}"),
            progress=progress_on_terminal,
        )
    except keys.NoSecureKeyring as exc:
        raise _no_keyring(exc) from None
    print(
        f"return {made.sequence} for {made.round_ref} written to {made.path}, signed by "
        f"{made.reviewer}: {made.submitted} submitted, {_plural(made.drafts, 'draft')}, "
        f"{_plural(made.declarations, 'conflict')} declared"
    )
    print("send it to the secretariat; drafts travel too, and can be finished and sent again")
    return 0


def cmd_return_import(args: argparse.Namespace) -> int:
    db = database(args)
    paths = [Path(f) for f in args.file]
    # Several files are one transaction: all of them are imported, or none.
    imported = db.run(
        return_import.import_returns, paths, actor(args, db), progress=progress_on_terminal
    )
    for path, done in zip(paths, imported, strict=True):
        if done.already:
            print(f"{path} was already imported; nothing changed")
            continue
        new = ", ".join(f"{ref} v{v}" for ref, v in done.new_versions) or "none"
        print(
            f"return {done.sequence} from {done.reviewer} for {done.round_ref} imported: "
            f"new versions {new}; {_plural(len(done.updated_drafts), 'draft')} updated; "
            f"{len(done.unchanged)} unchanged"
        )
        if done.declarations:
            print(f"conflicts declared (assignments withdrawn): {', '.join(done.declarations)}")
    return 0


def cmd_return_status(args: argparse.Namespace) -> int:
    overview = database(args).read(tracking.round_returns, args.round)
    if args.json:
        print_json(overview.as_json())
        return 0
    print(overview.headline())
    width = max((len(r.email) for r in overview.reviewers), default=8)
    for r in overview.reviewers:
        flag = (f"  {r.declared} declared" if r.declared else "") + (
            "  OVERDUE" if r.overdue else ""
        )
        print(
            f"  {r.email:<{width}}  {r.submitted:>3} of {r.to_review:<3} submitted  "
            f"{r.outstanding:>3} outstanding  packets {r.packets}  returns {r.returns}{flag}"
        )
    return 0


# --- verify ----------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        raise BadInput(str(path), "no such file or folder")
    report = database(args).read(checks.verify_path, path)
    if args.json:
        print_json(report.as_json())
    else:
        for line in report.lines():
            print(line)
    if not report.valid:
        raise VerificationFailed(str(path), [f"{len(report.failures)} check(s) failed"])
    return 0


def register(commands: Commands) -> None:
    packet = dict(group="packet", group_help="reviewer packets: the hub's side and the reviewer's")
    sub = commands.add(
        "export", cmd_packet_export, "write a reviewer's signed packet", person=True, **packet
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--reviewer", required=True, metavar="EMAIL")
    sub.add_argument("--out", required=True, metavar=f"FILE{PACKET_SUFFIX}")
    add_passphrase_options(sub)
    sub = commands.add(
        "import", cmd_packet_import, "verify a packet and set up my reviews", **packet
    )
    sub.add_argument("file", metavar=f"FILE{PACKET_SUFFIX}")
    sub.add_argument(
        "--authority",
        metavar="FILE.pem",
        help="the hub authority's certificate from the secretariat, to check the packet against",
    )

    group = dict(group="return", group_help="review returns: the reviewer's side and the hub's")
    sub = commands.add("export", cmd_return_export, "write my signed return", person=True, **group)
    sub.add_argument("--out", required=True, metavar=f"FILE{returns.SUFFIX}")
    sub.add_argument("--round", metavar="REF", help="the round (when you have several)")
    add_passphrase_options(sub)
    sub = commands.add(
        "import",
        cmd_return_import,
        "verify returns, then import them whole (several files: all of them or none)",
        person=True,
        **group,
    )
    sub.add_argument("file", nargs="+", metavar=f"FILE{returns.SUFFIX}")
    sub = commands.add(
        "status", cmd_return_status, "who has returned, what is outstanding", **group
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")

    sub = commands.add("verify", cmd_verify, "check a packet, return or pack: exit 0 valid, 1 not")
    sub.add_argument("path", metavar="PATH")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
