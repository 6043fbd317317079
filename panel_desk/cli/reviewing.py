"""`review …`: a reviewer's work from the command line, and the offline review form.

    review list                      my assignments in a round, with progress
    review form export / import      the plain-text form (drafts only, never submits)
    review submit                    validate and lock one review
    review correct                   start a correction (a new version with a reason)
    review declare-conflict          declare a conflict of interest (then no scoring)
    review versions / diff           the versions of a review and what changed

--round may be left out when the reviewer has assignments in one round only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from panel_desk.cli.common import Commands, add_common, database, print_json
from panel_desk.errors import BadInput
from panel_desk.services import review_form, review_views, reviewing
from panel_desk.services.review_rules import CERTIFICATION_KEY
from panel_desk.services.review_views import VersionComparison

GROUP_HELP = "a peer reviewer's reviews: the offline form, submitting, corrections"


def _reviewer(args: argparse.Namespace) -> str:
    email = getattr(args, "as_email", None)
    if not email:
        raise BadInput("--as", "say who is reviewing: --as EMAIL")
    return email


def _assignment(args: argparse.Namespace, db) -> int:
    """The assignment `--submission` names: mine, or with --reviewer someone's (the hub)."""
    acting = _reviewer(args)
    other = getattr(args, "reviewer", None)
    if other:
        return db.read(review_views.hub_assignment, acting, other, args.submission, args.round)
    return db.read(reviewing.find_assignment, acting, args.submission, args.round)


def cmd_list(args: argparse.Namespace) -> int:
    db = database(args)
    email = _reviewer(args)
    mine = db.read(
        lambda s: reviewing.my_reviews(s, email, reviewing.resolve_round(s, email, args.round).id)
    )
    if args.json:
        print_json(
            {
                "round": mine.round_ref,
                "deadline": mine.deadline,
                "submitted": mine.submitted,
                "to_review": mine.to_review,
                "assignments": [
                    {
                        "submission": i.submission_ref,
                        "title": i.title,
                        "state": i.progress.value,
                        "version": i.version,
                    }
                    for i in mine.items
                ],
            }
        )
        return 0
    print(f"{mine.round_ref}: {mine.progress_line()}")
    width = max((len(i.submission_ref) for i in mine.items), default=3)
    for item in mine.items:
        version = f" v{item.version}" if item.version and item.version > 1 else ""
        print(
            f"  {item.submission_ref:<{width}}  {item.progress.label + version:<24}  {item.title}"
        )
    return 0


def cmd_form_export(args: argparse.Namespace) -> int:
    db = database(args)
    count = db.read(review_form.write_form, _reviewer(args), args.round, Path(args.out))
    print(f"review form written to {args.out}: {count} submission{'s' * (count != 1)} to review")
    return 0


def cmd_form_import(args: argparse.Namespace) -> int:
    db = database(args)
    print(db.run(review_form.import_form, Path(args.file), _reviewer(args)))
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    db = database(args)
    email = _reviewer(args)
    assignment_id = _assignment(args, db)
    try:
        version = db.run(reviewing.submit_review, assignment_id, email, args.certify_no_conflict)
    except reviewing.IncompleteReview as error:
        if any(p.key == CERTIFICATION_KEY for p in error.problems):
            if len(error.problems) == 1:
                raise BadInput(
                    "--certify-no-conflict",
                    f"add it to certify you have no conflict of interest with {args.submission} "
                    "(or declare one with `review declare-conflict`)",
                ) from None
            # Say what is missing in the review itself; the flag comes last.
            error.problems = [p for p in error.problems if p.key != CERTIFICATION_KEY]
            raise reviewing.IncompleteReview(error.source, error.problems) from None
        raise
    print(f"{args.submission}: version {version} submitted and locked")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    db = database(args)
    version = db.run(
        reviewing.start_correction, _assignment(args, db), _reviewer(args), args.reason
    )
    print(
        f"{args.submission}: correction started as version {version} (a draft); "
        "edit it, then submit it"
    )
    return 0


def cmd_declare(args: argparse.Namespace) -> int:
    db = database(args)
    db.run(reviewing.declare_conflict, _assignment(args, db), _reviewer(args), args.reason)
    print(f"{args.submission}: conflict of interest declared; it will not be scored by you")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    db = database(args)
    versions = db.read(review_views.version_history, _assignment(args, db))
    if args.json:
        print_json([v.__dict__ for v in versions])
        return 0
    if not versions:
        print(f"{args.submission}: not started")
    for v in versions:
        when = f"submitted {v.submitted_at:%Y-%m-%d %H:%M}" if v.submitted_at else "draft"
        reason = f" — correction: {v.correction_reason}" if v.correction_reason else ""
        print(f"version {v.version}: {when}{reason}")
    return 0


def _print_comparison(found: VersionComparison) -> None:
    print(
        f"{found.submission_ref}: version {found.before.version} → {found.after.version}"
        + (f" ({found.after.correction_reason})" if found.after.correction_reason else "")
    )
    if not found.differences:
        print("  no differences")
    for d in found.differences:
        print(f"  {d.label} — {d.part}:")
        print(f"    - {d.before or '(empty)'}")
        print(f"    + {d.after or '(empty)'}")


def cmd_diff(args: argparse.Namespace) -> int:
    db = database(args)
    assignment_id = _assignment(args, db)
    versions = [v.version for v in db.read(review_views.version_history, assignment_id)]
    after = args.to or (versions[-1] if versions else 0)
    before = args.from_ or after - 1
    found = db.read(review_views.compare_versions, assignment_id, before, after)
    if args.json:
        print_json(
            {
                "submission": found.submission_ref,
                "reviewer": found.reviewer,
                "from": found.before.version,
                "to": found.after.version,
                "reason": found.after.correction_reason,
                "differences": [d.__dict__ for d in found.differences],
            }
        )
    else:
        _print_comparison(found)
    return 0


def _which(parser: argparse.ArgumentParser, hub: bool = False) -> None:
    parser.add_argument("--submission", required=True, metavar="REF", help="the submission")
    parser.add_argument("--round", metavar="REF", help="the round (when you have several)")
    if hub:
        parser.add_argument(
            "--reviewer",
            metavar="EMAIL",
            help="someone else's review (secretariat or moderation chair only)",
        )


def register(commands: Commands) -> None:
    group = dict(group="review", group_help=GROUP_HELP, person=True)
    sub = commands.add("list", cmd_list, "my assignments in a round, with progress", **group)
    sub.add_argument("--round", metavar="REF", help="the round (when you have several)")
    sub.add_argument("--json", action="store_true", help="print one JSON document")

    form = commands.group("review", GROUP_HELP).add_parser(
        "form", help="the offline review form", description="the offline review form"
    )
    actions = form.add_subparsers(dest="review_form_command", metavar="COMMAND", required=True)
    sub = actions.add_parser(
        "export", help="write my assignments as a plain-text form to edit offline"
    )
    add_common(sub, person=True)
    sub.set_defaults(handler=cmd_form_export)
    sub.add_argument("--out", required=True, metavar="FILE", help="the form file to write")
    sub.add_argument("--round", metavar="REF", help="the round (when you have several)")
    sub = actions.add_parser("import", help="fill draft reviews from an edited form")
    add_common(sub, person=True)
    sub.set_defaults(handler=cmd_form_import)
    sub.add_argument("file", metavar="FILE", help="the edited form")

    sub = commands.add("submit", cmd_submit, "validate one review and lock it", **group)
    _which(sub)
    sub.add_argument(
        "--certify-no-conflict",
        action="store_true",
        help="certify that you have no conflict of interest with the submission",
    )
    sub = commands.add("correct", cmd_correct, "start a correction of a submitted review", **group)
    _which(sub)
    sub.add_argument("--reason", required=True, help="why the review needs correcting")
    sub = commands.add(
        "declare-conflict", cmd_declare, "declare a conflict of interest (no scoring)", **group
    )
    _which(sub)
    sub.add_argument("--reason", required=True, help="what the conflict of interest is")
    sub = commands.add("versions", cmd_versions, "the versions of a review", **group)
    _which(sub, hub=True)
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub = commands.add("diff", cmd_diff, "what changed between two versions of a review", **group)
    _which(sub, hub=True)
    sub.add_argument("--from", dest="from_", type=int, metavar="N", help="the older version")
    sub.add_argument("--to", type=int, metavar="N", help="the newer version (default: latest)")
    sub.add_argument("--json", action="store_true", help="print one JSON document")
