"""`audit verify | log | extract`: check the hash chain, read the trail, extract for appeals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from panel_desk.cli.common import Commands, database, print_json
from panel_desk.errors import BadInput, VerificationFailed
from panel_desk.services import audit, audit_views


def cmd_audit_verify(args: argparse.Namespace) -> int:
    report = database(args).read(audit.verify_chain)
    if not report.intact:
        raise VerificationFailed("audit trail", [f"event {report.broken_at}: {report.problem}"])
    if args.require_seal and report.seal not in (audit.SEAL_CHECKED, audit.SEAL_EMPTY):
        raise VerificationFailed("audit trail", [f"{report.seal_note} (--require-seal)"])
    print(
        f"audit trail intact: {report.events} events, head {report.head_hash}; {report.seal_note}"
    )
    return 0


def cmd_audit_log(args: argparse.Namespace) -> int:
    page = database(args).read(
        audit_views.list_events,
        round_ref=args.round,
        submission=args.submission,
        person=args.person,
        text=args.text or "",
        limit=args.limit,
    )
    if args.json:
        print_json(
            {
                "total": page.total,
                "events": [
                    {
                        "seq": e.seq,
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "action": e.action,
                        "subject_type": e.subject_type,
                        "subject_ref": e.subject_ref,
                        "payload": e.payload_data(),
                        "hash": e.hash,
                    }
                    for e in page.events
                ],
            }
        )
        return 0
    for e in reversed(page.events):
        print(f"{e.seq:>6}  {e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<28}  {e.action:<24}  {e.subject}")
    shown = len(page.events)
    print(f"{shown} of {page.total} events" if shown < page.total else f"{shown} events")
    return 0


def cmd_audit_extract(args: argparse.Namespace) -> int:
    if args.check:
        path = Path(args.check)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BadInput(str(path), f"cannot be read as an extract: {exc}") from None
        problems = audit_views.check_extract(data, str(path))
        if problems:
            raise VerificationFailed(str(path), problems)
        print(f"{path}: {len(data['events'])} events of {data['submission']}, every hash holds")
        return 0
    if not (args.round and args.submission and args.out):
        raise BadInput("audit extract", "give --round, --submission and --out (or --check FILE)")
    out = Path(args.out)
    data = database(args).read(audit_views.submission_extract, args.round, args.submission)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    chain = "intact" if data["chain"]["intact"] else f"BROKEN at event {data['chain']['broken_at']}"
    print(f"{len(data['events'])} events of {data['submission']} written to {out}; chain {chain}")
    if not data["chain"]["intact"]:
        print("panel-desk: warning: the audit trail is not intact", file=sys.stderr)
    return 0


def register(commands: Commands) -> None:
    group = {"group": "audit", "group_help": "the tamper-evident audit trail"}
    sub = commands.add(
        "verify", cmd_audit_verify, "check the hash chain: exit 0 intact, 1 not", **group
    )
    sub.add_argument(
        "--require-seal",
        action="store_true",
        help="also fail unless this machine's key sealed the head",
    )
    sub = commands.add("log", cmd_audit_log, "list events, newest last", **group)
    sub.add_argument("--round", metavar="REF", help="events about this round")
    sub.add_argument("--submission", metavar="ROUND/REF", help="events about this submission")
    sub.add_argument("--person", metavar="EMAIL", help="events by or about this person")
    sub.add_argument("--text", help="words the action, subject or actor contains")
    sub.add_argument("--limit", type=int, default=audit_views.DEFAULT_LIMIT)
    sub.add_argument("--json", action="store_true", help="print one JSON document")
    sub = commands.add(
        "extract",
        cmd_audit_extract,
        "one submission's events, self-checking (for appeals)",
        **group,
    )
    sub.add_argument("--round", metavar="REF")
    sub.add_argument("--submission", metavar="REF")
    sub.add_argument("--out", metavar="FILE")
    sub.add_argument("--check", metavar="FILE", help="recompute every hash of an extract")
