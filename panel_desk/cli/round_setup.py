"""Setting up a round: the demo, `round create`, roster and submission imports, screening."""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_desk.cli.common import (
    Commands,
    actor,
    amount_argument,
    database,
    date_argument,
    print_json,
    progress_on_terminal,
)
from panel_desk.services import demo, roster, rounds, screening, submissions
from panel_desk.services.round_rules import RoundRules, parse_domains


def _scale(text: str) -> int:
    named = {"small": demo.SMALL, "large": demo.LARGE}
    if text in named:
        return named[text]
    if text.isdigit() and int(text) >= demo.MINIMUM:
        return int(text)
    raise argparse.ArgumentTypeError(
        f"{text!r} is not small, large or a number of submissions ≥ {demo.MINIMUM}"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    db = database(args)
    print(
        demo.build_demo(db, scale=args.scale, if_empty=args.if_empty, progress=progress_on_terminal)
    )
    return 0


def _round_rules(args: argparse.Namespace) -> RoundRules:
    """The options given, else the defaults for new rounds chosen in Settings."""
    from panel_desk import preferences  # Qt's settings store: read only when needed

    chosen = preferences.load().new_round_rules
    return RoundRules(
        chosen.lookback_years if args.lookback_years is None else args.lookback_years,
        chosen.signoff_quorum if args.quorum is None else args.quorum,
        chosen.shared_mail_domains
        if args.shared_domains is None
        else parse_domains(args.shared_domains),
    )


def cmd_round_create(args: argparse.Namespace) -> int:
    db = database(args)
    who = actor(args, db)
    stage = rounds.parse_stage(args.stage)
    rules = _round_rules(args)
    with db.transaction() as session:
        created = rounds.create_round(
            session,
            stage=stage,
            ref=args.ref,
            title=args.title,
            opens_on=args.opens,
            criteria_path=Path(args.criteria) if args.criteria else None,
            review_deadline=args.review_deadline,
            places=args.places,
            budget=args.budget,
            rules=rules,
            actor=who,
        )
        print(
            f"round {created.ref} created: {stage.label}, opens {created.opens_on}; "
            f"look-back {created.lookback_years} years, sign-off quorum {created.signoff_quorum}"
        )
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    db = database(args)
    result = db.run(roster.import_roster, Path(args.file), actor(args, db))
    print(f"roster {args.file}: {result}")
    return 0


def cmd_submissions_import(args: argparse.Namespace) -> int:
    db = database(args)
    documents = Path(args.documents) if args.documents else None
    result = db.run(
        submissions.import_submissions, Path(args.file), args.round, documents, actor(args, db)
    )
    print(f"submissions {args.file} into {args.round}: {result}")
    return 0


def cmd_screening(args: argparse.Namespace) -> int:
    db = database(args)
    report = db.run(screening.run_screening, args.round, actor(args, db))
    if args.json:
        print_json(
            {
                "round": args.round,
                "submissions": [item.as_json() for item in report],
                "complete": sum(1 for item in report if not item.gaps),
                "with_gaps": sum(1 for item in report if item.gaps),
            }
        )
        return 0
    width = max((len(item.ref) for item in report), default=3)
    for item in report:
        gaps = len(item.gaps)
        state = item.state.replace("_", " ")
        print(f"{item.ref:<{width}}  {state:<14}  {gaps} gap{'s' * (gaps != 1)}")
        for gap in item.gaps:
            print(f"{'':<{width}}    - {gap}")
    complete = sum(1 for item in report if not item.gaps)
    print(f"{complete} of {len(report)} submissions complete")
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "demo", cmd_demo, "create a realistic demo: rounds, roster, submissions, reviews"
    )
    sub.add_argument(
        "--scale",
        type=_scale,
        default=demo.SMALL,
        metavar="small|large|N",
        help=f"number of submissions (small = {demo.SMALL}, large = {demo.LARGE})",
    )
    sub.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (and succeed) when the database already holds rounds",
    )

    sub = commands.add(
        "create",
        cmd_round_create,
        "open a round at a stage",
        person=True,
        group="round",
        group_help="open and manage rounds",
    )
    sub.add_argument(
        "--stage", required=True, help="gateway, endorsement, provider_approval or periodic_review"
    )
    sub.add_argument("--ref", required=True, help="the round's reference, e.g. GW-2026-01")
    sub.add_argument("--title", required=True)
    sub.add_argument(
        "--opens", type=date_argument, metavar="DATE", help="opening date (default today)"
    )
    sub.add_argument("--review-deadline", type=date_argument, metavar="DATE")
    sub.add_argument("--places", type=int, help="places available (competitive rounds)")
    sub.add_argument(
        "--budget", type=amount_argument, help="support available (competitive rounds)"
    )
    sub.add_argument(
        "--criteria", metavar="FILE", help="a criteria file instead of the shipped one"
    )
    sub.add_argument(
        "--lookback-years",
        type=int,
        metavar="N",
        help="an affiliation ended fewer years than this before the round opens still "
        "conflicts (default: as in Settings, else 3)",
    )
    sub.add_argument(
        "--quorum",
        type=int,
        metavar="N",
        help="EAG signatures needed for sign-off (default: as in Settings, else 2)",
    )
    sub.add_argument(
        "--shared-domains",
        metavar="LIST",
        help="comma-separated mail domains many unrelated people share, never a conflict "
        "(default: as in Settings, else the shipped list)",
    )

    sub = commands.add(
        "import",
        cmd_roster_import,
        "import people from roster.csv",
        person=True,
        group="roster",
        group_help="the reviewer roster",
    )
    sub.add_argument("file", metavar="FILE.csv")

    sub = commands.add(
        "import",
        cmd_submissions_import,
        "import submissions.csv into a round",
        person=True,
        group="submissions",
        group_help="submissions to a round",
    )
    sub.add_argument("file", metavar="FILE.csv")
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--documents", metavar="DIR", help="folder holding the documents named")

    sub = commands.add(
        "screening", cmd_screening, "screen a round: gaps per submission", person=True
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
