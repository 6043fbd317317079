"""The `panel-desk` command: a stable contract for scripts, checks and power users.

Each subcommand parses its arguments, opens the database and calls one service. Exit
codes: 0 success, 1 a verification failed, 2 bad input or usage (one line on stderr,
never a traceback). Qt is imported only when the GUI or a screenshot is asked for, so
the commands start fast.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from panel_desk import __version__
from panel_desk.errors import BadInput, Cancelled, VerificationFailed
from panel_desk.services import audit, demo, roster, rounds, screening, submissions
from panel_desk.services.database import Database, open_database

Handler = Callable[[argparse.Namespace], int]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None


def _scale(text: str) -> int:
    named = {"small": demo.SMALL, "large": demo.LARGE}
    if text in named:
        return named[text]
    if text.isdigit() and int(text) >= demo.MINIMUM:
        return int(text)
    raise argparse.ArgumentTypeError(
        f"{text!r} is not small, large or a number of submissions ≥ {demo.MINIMUM}"
    )


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _database(args: argparse.Namespace) -> Database:
    return open_database(getattr(args, "db", None))


def _actor(args: argparse.Namespace, db: Database) -> str:
    email = getattr(args, "as_email", None)
    if not email:
        return f"local:{getpass.getuser()}"
    return db.read(lambda s: roster.person_by_email(s, email).email)


# --- commands -----------------------------------------------------------------------------


def cmd_gui(args: argparse.Namespace) -> int:
    from panel_desk.ui.app import run_gui  # Qt only when the GUI is wanted

    return run_gui(
        db=getattr(args, "db", None),
        as_email=getattr(args, "as_email", None),
        screenshot=Path(args.screenshot) if args.screenshot else None,
        view=args.view,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    db = _database(args)
    result = demo.build_demo(db, scale=args.scale, if_empty=args.if_empty, progress=_progress)
    print(result)
    return 0


def cmd_round_create(args: argparse.Namespace) -> int:
    db = _database(args)
    actor = _actor(args, db)
    stage = rounds.parse_stage(args.stage)
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
            actor=actor,
        )
        print(f"round {created.ref} created: {stage.label}, opens {created.opens_on}")
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    db = _database(args)
    actor = _actor(args, db)
    result = db.run(roster.import_roster, Path(args.file), actor)
    print(f"roster {args.file}: {result}")
    return 0


def cmd_submissions_import(args: argparse.Namespace) -> int:
    db = _database(args)
    actor = _actor(args, db)
    documents = Path(args.documents) if args.documents else None
    result = db.run(submissions.import_submissions, Path(args.file), args.round, documents, actor)
    print(f"submissions {args.file} into {args.round}: {result}")
    return 0


def cmd_screening(args: argparse.Namespace) -> int:
    db = _database(args)
    actor = _actor(args, db)
    report = db.run(screening.run_screening, args.round, actor)
    if args.json:
        _print_json(
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


def cmd_audit_verify(args: argparse.Namespace) -> int:
    db = _database(args)
    report = db.read(audit.verify_chain)
    if report.intact:
        print(f"audit trail intact: {report.events} events, head {report.head_hash}")
        return 0
    raise VerificationFailed("audit trail", [f"event {report.broken_at}: {report.problem}"])


# --- parser -------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, person: bool = False) -> None:
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="PATH|URL",
        help="database file or SQLAlchemy URL (default: your user data folder)",
    )
    if person:
        parser.add_argument(
            "--as",
            dest="as_email",
            default=argparse.SUPPRESS,
            metavar="EMAIL",
            help="the person acting (their role applies, their key signs)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="panel-desk",
        description="Review panels for credential approval and assurance. "
        "With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"panel_desk {__version__}")
    _common(parser, person=True)
    parser.add_argument(
        "--screenshot", metavar="FILE", help="render the main window to a PNG, exit"
    )
    parser.add_argument("--view", metavar="NAME", help="the view to render with --screenshot")
    parser.set_defaults(handler=cmd_gui)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help: str, person: bool = False, **kw: Any):
        sub = commands.add_parser(name, help=help, description=help, **kw)
        _common(sub, person)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("demo", cmd_demo, "create a realistic demo: rounds, roster, submissions, reviews")
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

    round_parser = commands.add_parser("round", help="open and manage rounds")
    round_commands = round_parser.add_subparsers(
        dest="round_command", metavar="COMMAND", required=True
    )
    sub = round_commands.add_parser("create", help="open a round at a stage")
    _common(sub, person=True)
    sub.set_defaults(handler=cmd_round_create)
    sub.add_argument(
        "--stage", required=True, help="gateway, endorsement, provider_approval or periodic_review"
    )
    sub.add_argument("--ref", required=True, help="the round's reference, e.g. GW-2026-01")
    sub.add_argument("--title", required=True)
    sub.add_argument("--opens", type=_date, metavar="DATE", help="opening date (default today)")
    sub.add_argument("--review-deadline", type=_date, metavar="DATE")
    sub.add_argument("--places", type=int, help="places available (competitive rounds)")
    sub.add_argument("--budget", type=_decimal, help="support available (competitive rounds)")
    sub.add_argument(
        "--criteria", metavar="FILE", help="a criteria file instead of the shipped one"
    )

    roster_parser = commands.add_parser("roster", help="the reviewer roster")
    roster_commands = roster_parser.add_subparsers(
        dest="roster_command", metavar="COMMAND", required=True
    )
    sub = roster_commands.add_parser("import", help="import people from roster.csv")
    _common(sub, person=True)
    sub.set_defaults(handler=cmd_roster_import)
    sub.add_argument("file", metavar="FILE.csv")

    subs_parser = commands.add_parser("submissions", help="submissions to a round")
    subs_commands = subs_parser.add_subparsers(
        dest="submissions_command", metavar="COMMAND", required=True
    )
    sub = subs_commands.add_parser("import", help="import submissions.csv into a round")
    _common(sub, person=True)
    sub.set_defaults(handler=cmd_submissions_import)
    sub.add_argument("file", metavar="FILE.csv")
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--documents", metavar="DIR", help="folder holding the documents named")

    sub = command("screening", cmd_screening, "screen a round: gaps per submission", person=True)
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--json", action="store_true", help="print one JSON document")

    audit_parser = commands.add_parser("audit", help="the tamper-evident audit trail")
    audit_commands = audit_parser.add_subparsers(
        dest="audit_command", metavar="COMMAND", required=True
    )
    sub = audit_commands.add_parser("verify", help="check the hash chain: exit 0 intact, 1 not")
    _common(sub)
    sub.set_defaults(handler=cmd_audit_verify)
    return parser


def _progress(done: int, total: int, text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{text} {done}/{total}   ")
        if done >= total:
            sys.stderr.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BadInput as exc:
        print(f"panel-desk: {exc}", file=sys.stderr)
        return 2
    except VerificationFailed as exc:
        print(f"panel-desk: {exc}", file=sys.stderr)
        return 1
    except Cancelled:
        print("panel-desk: cancelled; nothing was changed", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("panel-desk: interrupted; the transaction was rolled back", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `panel-desk screening … | head`: not an error
        sys.stderr.close()
        return 0
