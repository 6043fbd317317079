"""Moderation and ranking: divergence, moderated decisions, the gate, the ranking and its line.

`divergence` lists every divergent item with the reviewers' values; `moderate` and
`outcome` record the chair's decisions (the same rules as the Moderation page);
`blockers` is the gate before sign-off (exit 1 while any divergent item lacks a moderated
value and rationale); `rank` ranks a competitive round, and `cutline` moves its line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_desk.cli.common import Commands, database, print_json
from panel_desk.errors import BadInput, VerificationFailed
from panel_desk.services import (
    divergence,
    divergence_report,
    moderation,
    moderation_gate,
    ranking,
    ranking_export,
)
from panel_desk.services.ranking_methods import METHOD_LABELS, METHODS
from panel_desk.services.roster import person_by_email


def _chair(args: argparse.Namespace, db) -> str:
    email = getattr(args, "as_email", None)
    if not email:
        raise BadInput("--as", "name the moderation panel chair who decides (--as EMAIL)")
    return db.read(lambda s: person_by_email(s, email).email)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def cmd_divergence(args: argparse.Namespace) -> int:
    report = database(args).read(
        divergence_report.round_divergence, args.round, args.reveal, args.unresolved
    )
    if args.json:
        print_json(report.as_json())
        return 0
    current = None
    for item in report.items:
        if item.submission_ref != current:
            current = item.submission_ref
            print(current)
        given = ", ".join(
            f"{v.reviewer}{f' ({v.name})' if v.name else ''} {v.value}" for v in item.values
        )
        spread = (
            f"  spread {_number(item.spread)} ≥ {_number(item.threshold)}"
            if item.spread is not None
            else ""
        )
        state = f"moderated: {item.moderated_value}" if item.resolved else "needs moderation"
        print(f"  {item.label}: {given}{spread}  [{state}]")
    divergent, unresolved = divergence_report.count_items(report.items)
    submissions = len({i.submission_id for i in report.items})
    print(
        f"{divergent} divergent item{'s' * (divergent != 1)} in {submissions} "
        f"submission{'s' * (submissions != 1)}; {unresolved} need moderation"
    )
    return 0


def cmd_threshold(args: argparse.Namespace) -> int:
    db = database(args)
    who = _chair(args, db)
    if args.clear == (args.value is not None):
        raise BadInput("threshold", "give either --value X or --clear")
    db.run(divergence.set_threshold, args.round, args.value, args.criterion, who)
    what = f"criterion {args.criterion}" if args.criterion else "every numeric criterion"
    now = "back to the criteria file's" if args.clear else f"set to {args.value:g}"
    print(f"{args.round}: divergence threshold for {what} {now}")
    return 0


def cmd_moderate(args: argparse.Namespace) -> int:
    db = database(args)
    who = _chair(args, db)
    saved = db.run(
        moderation.moderate_item,
        args.round,
        args.submission,
        args.criterion,
        args.value,
        args.rationale,
        who,
    )
    print(saved.summary())
    return 0


def cmd_outcome(args: argparse.Namespace) -> int:
    db = database(args)
    who = _chair(args, db)
    saved = db.run(
        moderation.record_outcome,
        args.round,
        args.submission,
        args.conditions,
        args.feedback,
        who,
    )
    print(saved.summary())
    return 0


def cmd_blockers(args: argparse.Namespace) -> int:
    found = database(args).read(moderation_gate.blockers, args.round)
    if args.json:
        print_json(
            {"round": args.round, "ready": not found, "blockers": [b.as_json() for b in found]}
        )
    else:
        for blocker in found:
            print(blocker)
    if found:
        items = f"{len(found)} divergent item{'s' * (len(found) != 1)}"
        raise VerificationFailed(args.round, [f"{items} without a moderated value and rationale"])
    if not args.json:
        print(f"{args.round}: every divergent item is moderated; ready for sign-off")
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    result = database(args).read(ranking.rank_round, args.round)
    if args.csv:
        count = ranking_export.write_ranking_csv(result, Path(args.csv))
        if not args.json:
            print(f"ranking of {args.round} ({count} ranked) written to {args.csv}")
    if args.json:
        print_json(ranking_export.ranking_json(result))
        return 0
    if args.csv:
        return 0
    line = result.cutline.places
    methods = "  ".join(f"{METHOD_LABELS[m].split()[0]:>7}" for m in METHODS)
    print(f"{'pos':>5}  {'ref':<12} {'score':>6}  {methods}  side")
    for r in result.ranked:
        if line is not None and r.position == line + 1:
            print("  " + "─" * 20 + " cut-line " + "─" * 20)
        rank = f"={r.rank}" if r.tied else str(r.rank)
        positions = "  ".join(f"{p:>7}" for p in r.method_positions)
        side = "" if r.above is None else ("above" if r.above else "below")
        flag = "  changes side" if r.changes_side else ""
        print(f"{rank:>5}  {r.ref:<12} {r.score:>6.3f}  {positions}  {side}{flag}")
    for n in result.not_ranked:
        print(f"{'—':>5}  {n.ref:<12} {n.status}: {n.reason}")
    print(f"cut-line: {ranking_export.cutline_text(result.cutline, len(result.ranked))}")
    if result.tie_at_line:
        print("warning: submissions tied after every tie-break straddle the cut-line")
    print(
        f"{len(result.changes_side)} submission{'s' * (len(result.changes_side) != 1)} "
        "change side of the cut-line under another method"
    )
    return 0


def cmd_cutline(args: argparse.Namespace) -> int:
    db = database(args)
    who = _chair(args, db)
    if args.reset == (args.places is not None):
        raise BadInput("cutline", "give either --places N or --reset")
    result = db.run(ranking.move_cutline, args.round, args.places, args.rationale, who)
    line = ranking_export.cutline_text(result.cutline, len(result.ranked))
    print(f"{args.round}: cut-line {line}")
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "divergence", cmd_divergence, "every divergent item of a round, with the reviewers' values"
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub.add_argument("--reveal", action="store_true", help="name the reviewers (R1, R2… otherwise)")
    sub.add_argument("--unresolved", action="store_true", help="only the items still to moderate")

    sub = commands.add(
        "threshold",
        cmd_threshold,
        "override a divergence threshold for one round",
        person=True,
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--criterion", metavar="KEY", help="one numeric criterion (default: all)")
    sub.add_argument("--value", type=float, help="the spread that counts as divergent")
    sub.add_argument("--clear", action="store_true", help="back to the criteria file's threshold")

    sub = commands.add(
        "moderate", cmd_moderate, "record a moderated value and its rationale", person=True
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--submission", required=True, metavar="REF")
    sub.add_argument(
        "--criterion", required=True, metavar="KEY", help="a criterion key, or recommendation"
    )
    sub.add_argument("--value", required=True, help="a value on the criterion's scale")
    sub.add_argument("--rationale", required=True, help="why (required)")

    sub = commands.add(
        "outcome",
        cmd_outcome,
        "record the moderated outcome's conditions and feedback for the submitter",
        person=True,
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--submission", required=True, metavar="REF")
    sub.add_argument("--conditions", default="", help="when the outcome carries conditions")
    sub.add_argument("--feedback", required=True, help="the feedback text for the submitter")

    sub = commands.add(
        "blockers",
        cmd_blockers,
        "what stops sign-off: exit 0 when every divergent item is moderated, 1 otherwise",
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")

    sub = commands.add(
        "rank", cmd_rank, "rank a competitive round against its cut-line, by every method"
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub.add_argument("--csv", metavar="FILE", help="also write the ranking to a CSV file")

    sub = commands.add(
        "cutline", cmd_cutline, "move a competitive round's cut-line, with a rationale", person=True
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--places", type=int, help="how many submissions are above the line")
    sub.add_argument("--reset", action="store_true", help="back to the round's places or budget")
    sub.add_argument("--rationale", required=True, help="why the line moves (required)")
