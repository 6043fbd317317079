"""Conflicts of interest and assignment: `conflicts`, `conflicts decide|second|declare`,
`assign`, and the organisation alias table (`org list`, `org alias add|remove`)."""

from __future__ import annotations

import argparse
from collections import Counter

from panel_desk.cli.common import Commands, actor, add_common, database, print_json
from panel_desk.errors import BadInput
from panel_desk.services import (
    assignment,
    assignment_changes,
    conflict_decisions,
    conflict_declarations,
    conflicts,
    organisations,
    rounds,
)


def _required(args: argparse.Namespace, name: str) -> str:
    value = getattr(args, name, None)
    if not value:
        raise BadInput(f"--{name.replace('_', '-')}", "is required")
    return value


def _as(args: argparse.Namespace) -> str:
    return _required(args, "as_email")


# --- conflicts ---------------------------------------------------------------------------


def cmd_conflicts(args: argparse.Namespace) -> int:
    """Check the round against the rules now, then list every flag."""
    ref = _required(args, "round")
    db = database(args)

    def work(session):
        report = conflicts.detect_conflicts(session, ref, actor(args, db))
        round_ = rounds.round_by_ref(session, ref)
        flags = conflicts.list_flags(session, round_.id)
        if args.person:
            flags = [f for f in flags if f.person_email == args.person.strip().lower()]
        if args.submission:
            flags = [f for f in flags if f.submission_ref == args.submission]
        return report, flags

    report, flags = db.run(work)
    if args.json:
        print_json(
            {
                "round": ref,
                "flags": [f.as_json() for f in flags],
                "blocking": sum(1 for f in flags if f.blocking),
                "by_rule": dict(sorted(Counter(f.rule for f in flags).items())),
                "detection": report.as_json(),
            }
        )
        return 0
    for f in flags:
        print(
            f"#{f.id:<5} {f.submission_ref:<10} {f.person_email:<40} rule {f.rule_number} "
            f"{f.rule_label.lower()} ({f.severity}) — {f.decision_label}"
        )
        print(f"       {f.explanation}")
        if f.rationale:
            print(f"       rationale: {f.rationale}")
    blocking = sum(1 for f in flags if f.blocking)
    print(
        f"{len(flags)} flag{'s' * (len(flags) != 1)} in {ref}, {blocking} blocking "
        f"(checked now: {report.added} new, {report.reopened} reopened, {report.lapsed} lapsed)"
    )
    for ref_, email in report.withdrawn:
        print(f"withdrawn: {email} from {ref_} (conflict of interest)")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    decision = "clear" if args.clear else "manage" if args.manage else "reopen"
    db = database(args)
    flag = db.run(conflict_decisions.decide, args.flag, decision, args.rationale or "", _as(args))
    print(f"flag #{flag.id} ({flag.submission_ref}, {flag.person_email}): {flag.decision_label}")
    return 0


def cmd_second(args: argparse.Namespace) -> int:
    flag = database(args).run(conflict_decisions.second, args.flag, _as(args))
    print(f"flag #{flag.id} ({flag.submission_ref}, {flag.person_email}): {flag.decision_label}")
    return 0


def cmd_declare(args: argparse.Namespace) -> int:
    flag = database(args).run(
        conflict_declarations.declare_conflict, args.round, _as(args), args.submission, args.reason
    )
    print(f"conflict declared: {flag.person_email} and {flag.submission_ref} (flag #{flag.id})")
    return 0


# --- assign ------------------------------------------------------------------------------


def cmd_assign(args: argparse.Namespace) -> int:
    db = database(args)
    who = actor(args, db)
    if args.submission or args.reviewer:
        submission, reviewer = _required(args, "submission"), _required(args, "reviewer")
        if args.withdraw:
            done = db.run(
                assignment_changes.withdraw_reviewer, args.round, submission, reviewer, who
            )
            print(f"{reviewer} {'withdrawn from' if done else 'was not on'} {submission}")
        else:
            db.run(assignment_changes.assign_reviewer, args.round, submission, reviewer, who)
            print(f"{reviewer} assigned to {submission}")
        return 0
    report = db.run(assignment.assign_round, args.round, args.per_submission, args.max_load, who)
    if args.json:
        print_json(report.as_json())
        return 0
    for outcome in report.unassigned:
        print(f"{outcome.ref}: no valid team — {outcome.reason}")
    staffed = len(report.outcomes) - len(report.unassigned)
    loads = [n for _, n in report.loads]
    spread = f", load per reviewer {min(loads)}–{max(loads)}" if loads else ""
    print(
        f"{report.added} assignments made in {report.round_ref}: {staffed} of "
        f"{len(report.outcomes)} submissions through screening have a full team of "
        f"{report.per_submission}{spread}; {len(report.skipped)} not through screening "
        f"({report.seconds:.1f} s)"
    )
    return 0


# --- organisations -----------------------------------------------------------------------


def cmd_org_list(args: argparse.Namespace) -> int:
    found = database(args).read(organisations.list_organisations)
    if args.json:
        print_json(
            [
                {
                    "name": o.name,
                    "aliases": [{"kind": a.kind, "alias": a.alias} for a in o.aliases],
                    "joined_to": o.joined_to or None,
                }
                for o in found
            ]
        )
        return 0
    for o in found:
        extra = [f"{a.kind} {a.alias}" for a in o.aliases]
        if o.joined_to:
            extra.append(f"stands for {o.joined_to}")
        print(o.name + (f"  ({'; '.join(extra)})" if extra else ""))
    return 0


def _alias(args: argparse.Namespace) -> tuple[str, str]:
    if bool(args.name) == bool(args.domain):
        raise BadInput("org alias", "give exactly one of --name or --domain")
    return ("name", args.name) if args.name else ("domain", args.domain)


def cmd_alias_add(args: argparse.Namespace) -> int:
    kind, alias = _alias(args)
    db = database(args)
    view = db.run(organisations.add_alias, args.organisation, kind, alias, actor(args, db))
    print(f"{kind} {alias!r} is now an alias of {view.name}")
    return 0


def cmd_alias_remove(args: argparse.Namespace) -> int:
    kind, alias = _alias(args)
    db = database(args)
    owner = db.run(organisations.remove_alias, kind, alias, actor(args, db))
    print(f"{kind} {alias!r} is no longer an alias of {owner}")
    return 0


def register(commands: Commands) -> None:
    sub = commands.add(
        "conflicts",
        cmd_conflicts,
        "check a round's conflicts of interest now; every flag with its rule and evidence",
        person=True,
    )
    sub.add_argument("--round", metavar="REF")
    sub.add_argument("--person", metavar="EMAIL", help="only this person's flags")
    sub.add_argument("--submission", metavar="REF", help="only this submission's flags")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    actions = sub.add_subparsers(dest="conflicts_command", metavar="COMMAND")

    def action(name: str, handler, help: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help, description=help)
        add_common(parser, person=True)
        parser.set_defaults(handler=handler)
        return parser

    decide = action("decide", cmd_decide, "clear or manage a flag with a rationale (secretariat)")
    decide.add_argument("flag", type=int, metavar="FLAG", help="the flag's number (#N)")
    choice = decide.add_mutually_exclusive_group(required=True)
    choice.add_argument("--clear", action="store_true", help="no conflict in fact")
    choice.add_argument("--manage", action="store_true", help="soft flags: manage it")
    choice.add_argument("--reopen", action="store_true", help="undo a decision")
    decide.add_argument("--rationale", metavar="TEXT", help="why (required but for --reopen)")
    second = action("second", cmd_second, "second another's clearance of a hard flag")
    second.add_argument("flag", type=int, metavar="FLAG")
    declare = action("declare", cmd_declare, "record a reviewer's own declaration (--as them)")
    declare.add_argument("--round", required=True, metavar="REF")
    declare.add_argument("--submission", required=True, metavar="REF")
    declare.add_argument("--reason", required=True, metavar="TEXT")

    sub = commands.add(
        "assign",
        cmd_assign,
        "assign balanced, conflict-free teams covering the stage's expertise mix",
        person=True,
    )
    sub.add_argument("--round", required=True, metavar="REF")
    sub.add_argument("--per-submission", type=int, metavar="N", help="team size (default 3)")
    sub.add_argument("--max-load", type=int, metavar="N", help="most reviews per reviewer")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub.add_argument("--submission", metavar="REF", help="with --reviewer: one change by hand")
    sub.add_argument("--reviewer", metavar="EMAIL")
    sub.add_argument("--withdraw", action="store_true", help="take the reviewer off instead")

    sub = commands.add(
        "list",
        cmd_org_list,
        "organisations and their aliases",
        group="org",
        group_help="organisations and the alias table used to match them",
    )
    sub.add_argument("--json", action="store_true")
    org = commands.group("org", "")
    alias = org.add_parser("alias", help="edit the alias table", description="edit aliases")
    alias_actions = alias.add_subparsers(dest="alias_command", metavar="COMMAND", required=True)
    for name, handler, help in (
        ("add", cmd_alias_add, "join another name or a mail domain to an organisation"),
        ("remove", cmd_alias_remove, "remove an alias"),
    ):
        parser = alias_actions.add_parser(name, help=help, description=help)
        add_common(parser, person=True)
        parser.set_defaults(handler=handler)
        if name == "add":
            parser.add_argument("--organisation", required=True, metavar="NAME")
        parser.add_argument("--name", metavar="ALIAS", help="another name of the organisation")
        parser.add_argument("--domain", metavar="DOMAIN", help="a mail domain of it")
