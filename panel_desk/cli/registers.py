"""`register …`, `completions import`, `practitioner show`, `annual-returns …`, `lineage …`,
`evaluation report`: what the signed-off decisions feed.

The registers are derived from signed-off decisions (nothing here edits them); the
completions and annual-return imports are all or nothing, each refused row named.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_desk.cli.common import Commands, actor, database, date_argument, print_json
from panel_desk.services import (
    annotations,
    annual_returns,
    evaluation_report,
    lineage,
    lineage_views,
    register_export,
    registers,
)


def cmd_export(args: argparse.Namespace) -> int:
    db = database(args)
    who = actor(args, db)
    done = db.run(
        register_export.export_register,
        args.kind,
        Path(args.out),
        who,
        signer=getattr(args, "as_email", None),
        as_of=args.on,
    )
    signed = f", signed by {done.signed_by}" if done.signed_by else ""
    print(
        f"register of {done.kind} as at {done.as_of}: {done.entries} entries written to "
        f"{done.path}{signed}"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    built = database(args).read(registers.build_registers, args.on)
    entries = register_export.rows(built, args.kind)
    if args.json:
        print_json({"register": args.kind, "as_of": built.as_of, "entries": entries})
        return 0
    for e in entries:
        if args.kind == register_export.CREDENTIALS:
            print(
                f"{e['reference']:<22} {e['credential']}  endorsed {e['endorsed_on']}, "
                f"review due {e['review_due']}"
            )
        else:
            print(
                f"{e['credential_reference']:<22} {e['provider']}  approved {e['approved_on']}, "
                f"renewal due {e['renewal_due']}" + (" (with conditions)" * bool(e["conditions"]))
            )
    for note in built.notes:
        print(f"note: {note}")
    print(f"{len(entries)} {args.kind} on the register as at {built.as_of}")
    return 0


def cmd_completions(args: argparse.Namespace) -> int:
    db = database(args)
    done = db.run(annotations.import_completions, Path(args.file), actor(args, db))
    print(
        f"{done.source}: {done.added} completion(s) annotated"
        + (f", {done.already} already annotated" if done.already else "")
    )
    return 0


def cmd_practitioner(args: argparse.Namespace) -> int:
    found = database(args).read(annotations.practitioner_lookup, args.practitioner)
    if args.json:
        print_json([_plain(a) for a in found])
        return 0
    for a in found:
        print(
            f"{a.practitioner_id}  {a.name}: {a.credential} ({a.credential_reference}), "
            f"with {a.provider}, completed {a.completed_on}"
        )
    return 0


def _plain(a: annotations.AnnotationView) -> dict[str, object]:
    return {name: getattr(a, name) for name in a.__slots__}


def cmd_returns_import(args: argparse.Namespace) -> int:
    db = database(args)
    done = db.run(
        annual_returns.import_annual_returns,
        Path(args.file),
        args.provider,
        actor(args, db),
        received_on=args.received_on,
    )
    print(
        f"{done.source}: annual return of {done.provider}: {done.added} added, "
        f"{done.corrected} corrected, {done.already} unchanged"
    )
    return 0


def cmd_returns_status(args: argparse.Namespace) -> int:
    found = database(args).read(annual_returns.return_status, args.on)
    if args.json:
        print_json([{name: getattr(r, name) for name in r.__slots__} for r in found])
        return 0
    for r in found:
        got = f", received {r.received_on}" if r.received_on else ""
        print(f"{r.year_label}  {r.credential} — {r.provider}: {r.state} (due {r.due}{got})")
    late = sum(r.state in ("late", "missing") for r in found)
    print(f"{len(found)} return(s) owed, {late} late or missing")
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    db = database(args)
    made = db.run(lineage.link, args.parent, args.child, actor(args, db))
    said = "linked" if made.new else "already linked"
    print(f"{made.child.reference} {said} to {made.parent.reference} ({made.kind})")
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    db = database(args)
    made = db.run(lineage.unlink, args.parent, args.child, actor(args, db))
    print(f"{made.child.reference} no longer linked to {made.parent.reference}")
    return 0


def cmd_link_round(args: argparse.Namespace) -> int:
    db = database(args)
    done = db.run(lineage.link_round, args.round, actor(args, db))
    for made in done.linked:
        print(f"{made.child.reference} → {made.parent.reference} ({made.kind})")
    for ref, why in done.unmatched:
        print(f"{done.round_ref}/{ref}: not linked: {why}")
    print(
        f"{done.round_ref}: {len(done.linked)} linked by its {done.field} field, "
        f"{done.kept} already, {len(done.unmatched)} not linked"
    )
    return 0


def cmd_show_lineage(args: argparse.Namespace) -> int:
    db = database(args)
    node = db.read(lineage.find_submission, args.submission, "SUBMISSION")
    chain = db.read(lineage_views.chain_for, node.id)
    for step in chain.steps:
        mark = "▶ " if step.id == chain.focus else "  "
        print(f"{'    ' * step.depth}{mark}{step.reference}  {step.role}: {step.title}")
        print(f"{'    ' * step.depth}    {step.lead}; {step.standing}")
        for pack in step.packs:
            current = "" if pack.current else " (superseded)"
            print(f"{'    ' * step.depth}    decision pack {pack.at:%Y-%m-%d} {pack.path}{current}")
    return 0


def cmd_evaluation(args: argparse.Namespace) -> int:
    db = database(args)
    out = db.run(evaluation_report.export_report, Path(args.out), actor(args, db))
    print(f"evaluation report written to {out}")
    return 0


def register(commands: Commands) -> None:
    group = dict(group="register", group_help="the registers of endorsed credentials and providers")
    sub = commands.add(
        "export",
        cmd_export,
        "write a register as CSV, JSON or a signed PDF listing (by the file's suffix)",
        person=True,
        **group,
    )
    sub.add_argument("--kind", required=True, choices=register_export.KINDS)
    sub.add_argument("--out", required=True, metavar="FILE", help=".csv, .json or .pdf")
    sub.add_argument("--on", type=date_argument, metavar="DATE", help="as at (default today)")
    sub = commands.add("show", cmd_show, "list a register", **group)
    sub.add_argument("--kind", required=True, choices=register_export.KINDS)
    sub.add_argument("--on", type=date_argument, metavar="DATE", help="as at (default today)")
    sub.add_argument("--json", action="store_true")
    sub = commands.add(
        "import",
        cmd_completions,
        "annotate practitioners' completions with approved providers (all or nothing)",
        person=True,
        group="completions",
        group_help="practitioners' completions of endorsed credentials",
    )
    sub.add_argument(
        "file", metavar="FILE.csv", help="practitioner_id,name,credential,provider,completion_date"
    )
    sub = commands.add(
        "show",
        cmd_practitioner,
        "a practitioner's annotated credentials",
        group="practitioner",
        group_help="the practitioner directory's annotations",
    )
    sub.add_argument("practitioner", metavar="ID|NAME")
    sub.add_argument("--json", action="store_true")
    group = dict(group="annual-returns", group_help="providers' annual returns")
    sub = commands.add(
        "import", cmd_returns_import, "import a provider's annual return", person=True, **group
    )
    sub.add_argument(
        "file", metavar="FILE.csv", help="credential,year,take_up,progressing,completed,themes"
    )
    sub.add_argument("--provider", required=True, metavar="NAME")
    sub.add_argument("--received-on", type=date_argument, metavar="DATE", help="default today")
    sub = commands.add("status", cmd_returns_status, "returns received, late and missing", **group)
    sub.add_argument("--on", type=date_argument, metavar="DATE", help="as at (default today)")
    sub.add_argument("--json", action="store_true")
    group = dict(group="lineage", group_help="proposal → specification → delivery and review")
    for name, handler, help in (
        ("link", cmd_link, "link a submission to the one it follows"),
        ("unlink", cmd_unlink, "remove a link made by mistake"),
    ):
        sub = commands.add(name, handler, help, person=True, **group)
        sub.add_argument("--from", dest="parent", required=True, metavar="ROUND/REF")
        sub.add_argument("--to", dest="child", required=True, metavar="ROUND/REF")
    sub = commands.add(
        "link-round",
        cmd_link_round,
        "link a round's submissions to what their template field names",
        person=True,
        **group,
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub = commands.add("show", cmd_show_lineage, "a submission's whole chain", **group)
    sub.add_argument("submission", metavar="ROUND/REF")
    sub = commands.add(
        "report",
        cmd_evaluation,
        "the evaluation report (PDF with charts)",
        person=True,
        group="evaluation",
        group_help="the value and impact of credentials",
    )
    sub.add_argument("--out", required=True, metavar="FILE.pdf")
