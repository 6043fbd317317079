"""`appeal …`: the complaints and appeals register of a round.

`appeal lodge` records an appeal on grounds of procedural irregularity; `appeal list` is
the register; `appeal extract` writes the audit extract of the appealed submission, which
anyone can re-check; `appeal decide` upholds (reopening the decision, which voids the
sign-off), dismisses or records the withdrawal of an appeal.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from panel_desk.cli.common import Commands, actor, database, date_argument, print_json
from panel_desk.errors import BadInput
from panel_desk.services import appeals


def _who(args: argparse.Namespace, db) -> str:
    if not getattr(args, "as_email", None):
        raise BadInput("--as", "say who records this (--as EMAIL)")
    return actor(args, db)


def _line(a: appeals.AppealView) -> str:
    decided = f" by {a.decided_by} on {a.decided_at:%Y-%m-%d}" if a.decided_at else ""
    reopened = f", decision reopened as version {a.reopened_version}" * bool(a.reopened_version)
    return (
        f"appeal {a.id}  {a.submission_ref}  lodged {a.lodged_on} by {a.appellant}: "
        f"{a.status}{decided}{reopened}"
    )


def cmd_lodge(args: argparse.Namespace) -> int:
    db = database(args)
    made = db.run(
        appeals.lodge_appeal,
        args.round,
        args.submission,
        args.grounds,
        args.appellant,
        _who(args, db),
        args.lodged_on,
    )
    print(_line(made))
    print(f"  the audit extract: panel-desk appeal extract {made.id} --out FILE")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    db = database(args)
    done = db.run(
        appeals.decide_appeal,
        args.id,
        args.decision,
        args.reason,
        _who(args, db),
        outcome=args.outcome,
        conditions=args.conditions,
        feedback=args.feedback,
    )
    print(_line(done))
    if done.reopened_version:
        print(
            f"  {done.round_ref} needs a new sign-off and decision pack: "
            f"panel-desk signoff --round {done.round_ref} --as EMAIL"
        )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    found = database(args).read(appeals.list_appeals, args.round)
    if args.json:
        print_json([a.as_json() for a in found])
        return 0
    for a in found:
        print(_line(a))
        print(f"    grounds: {a.grounds}")
        if a.outcome:
            print(f"    decision: {a.outcome}")
    print(f"{len(found)} appeal(s) in {args.round}")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    extract = database(args).read(appeals.appeal_extract, args.id)
    out = Path(args.out)
    try:
        out.write_text(json.dumps(extract, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BadInput(str(out), f"cannot be written ({exc})") from None
    events = len(extract["events"])
    print(f"audit extract of {extract['submission']} ({events} events) written to {out}")
    return 0


def register(commands: Commands) -> None:
    group = dict(group="appeal", group_help="complaints and appeals: the register of a round")
    sub = commands.add(
        "lodge", cmd_lodge, "record an appeal against a decision", person=True, **group
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--submission", required=True, metavar="REF")
    sub.add_argument(
        "--grounds", required=True, metavar="TEXT", help="the procedural irregularity alleged"
    )
    sub.add_argument("--appellant", required=True, metavar="NAME", help="who appeals")
    sub.add_argument("--lodged-on", type=date_argument, metavar="DATE", help="default: today")
    sub = commands.add(
        "decide", cmd_decide, "uphold, dismiss or withdraw an appeal", person=True, **group
    )
    sub.add_argument("id", type=int, metavar="ID")
    sub.add_argument("--decision", required=True, choices=["upheld", "dismissed", "withdrawn"])
    sub.add_argument("--reason", required=True, metavar="TEXT")
    sub.add_argument("--outcome", metavar="TEXT", help="upheld: the reopened decision's outcome")
    sub.add_argument("--conditions", metavar="TEXT", help="upheld: its conditions")
    sub.add_argument("--feedback", metavar="TEXT", help="upheld: its feedback to the submitter")
    sub = commands.add("list", cmd_list, "the round's register of appeals", **group)
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub = commands.add(
        "extract", cmd_extract, "write the audit extract of an appealed submission", **group
    )
    sub.add_argument("id", type=int, metavar="ID")
    sub.add_argument("--out", required=True, metavar="FILE.json")
