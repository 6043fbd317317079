"""`audit verify`: walk the hash chain of the audit trail."""

from __future__ import annotations

import argparse

from panel_desk.cli.common import Commands, database
from panel_desk.errors import VerificationFailed
from panel_desk.services import audit


def cmd_audit_verify(args: argparse.Namespace) -> int:
    report = database(args).read(audit.verify_chain)
    if report.intact:
        print(f"audit trail intact: {report.events} events, head {report.head_hash}")
        return 0
    raise VerificationFailed("audit trail", [f"event {report.broken_at}: {report.problem}"])


def register(commands: Commands) -> None:
    commands.add(
        "verify",
        cmd_audit_verify,
        "check the hash chain: exit 0 intact, 1 not",
        group="audit",
        group_help="the tamper-evident audit trail",
    )
