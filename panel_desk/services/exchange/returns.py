"""Review returns, on the reviewer's machine: every version of the reviewer's reviews and
the conflicts they declared, bound to the packet they answer, signed by their own key.

Manifest header: the return's id, round, reviewer, the packet answered (id and sequence
number), this return's sequence number among the returns made here for the round, when it
was made, and a summary. Member: `records.json` (review_records.ReviewerRecords). The hub
side, which checks and applies a return, is return_import.py.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit, keys
from panel_desk.services.exchange import container
from panel_desk.services.exchange.packets import manifest_digest
from panel_desk.services.exchange.reading import Reader
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.review_assignments import resolve_round
from panel_desk.services.review_records import ReviewerRecords, export_records
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import REF_PATTERN
from panel_desk.store.base import utcnow
from panel_desk.store.models import ExportedReturn, ImportedPacket, ReviewState

KIND = "return"
FORMAT = 1
FORMATS = (FORMAT,)
SUFFIX = ".pdreturn"
RECORDS = "records.json"


@dataclass(frozen=True)
class ReturnHeader:
    return_id: str
    round_ref: str
    reviewer: str
    packet_id: str
    packet_sequence: int
    sequence: int
    created_at: datetime


def read_header(source: str, manifest: Any) -> ReturnHeader:
    r = Reader(source)
    where = "manifest.json"
    round_ref = r.required_text(manifest, "round", where, longest=60)
    if not REF_PATTERN.match(round_ref):
        raise r.fail(f"{where}.round", f"{round_ref!r} is not a round reference")
    return ReturnHeader(
        return_id=r.identifier(manifest, "return", where),
        round_ref=round_ref,
        reviewer=r.email(manifest, "reviewer", where),
        packet_id=r.identifier(manifest, "packet", where),
        packet_sequence=r.integer(manifest, "packet_sequence", where, least=1) or 1,
        sequence=r.integer(manifest, "sequence", where, least=1) or 1,
        created_at=r.moment(manifest, "created_at", where),
    )


@dataclass(frozen=True)
class ReturnMade:
    return_id: str
    round_ref: str
    reviewer: str
    packet_sequence: int
    sequence: int
    reviews: int
    submitted: int  # reviews whose newest version is submitted
    drafts: int
    declarations: int
    path: Path
    manifest_sha256: str


def summary_of(records: ReviewerRecords) -> dict[str, int]:
    newest = [r.versions[-1].state for r in records.reviews if r.versions]
    return {
        "reviews": len(records.reviews),
        "submitted": sum(1 for s in newest if s == ReviewState.SUBMITTED),
        "drafts": sum(1 for s in newest if s == ReviewState.DRAFT),
        "declarations": len(records.declarations),
    }


def export_return(
    session: Session,
    email: str,
    out: Path,
    *,
    round_ref: str | None = None,
    passphrase: keys.Passphrase = None,
    progress: Progress = no_progress,
) -> ReturnMade:
    """Write my signed return for the round to `out`, and note it here."""
    person = person_by_email(session, email)
    round_ = resolve_round(session, person.email, round_ref)
    packet = session.scalar(
        select(ImportedPacket)
        .where(ImportedPacket.round_id == round_.id, ImportedPacket.person_id == person.id)
        .order_by(ImportedPacket.sequence.desc())
        .limit(1)
    )
    if packet is None:
        raise BadInput(
            "--round",
            f"this database has no packet for {person.email} in {round_.ref}: a return "
            "answers a packet from the secretariat (import it with `panel-desk packet import`)",
        )
    progress(0, 2, "Reading your reviews")
    records = export_records(session, round_.ref, person.email)
    declared = {d.submission_ref for d in records.declarations}
    # A review begun before a conflict was declared is not sent: the hub must never receive
    # scores for a submission the reviewer is conflicted with.
    records = replace(
        records, reviews=tuple(r for r in records.reviews if r.submission_ref not in declared)
    )
    if not records.reviews and not records.declarations:
        raise BadInput(
            round_.ref, "there is nothing to return yet: no review started, no conflict declared"
        )
    identity = keys.signing_identity(session, person.email, passphrase=passphrase)
    sequence = (
        session.scalar(
            select(func.max(ExportedReturn.sequence)).where(
                ExportedReturn.round_id == round_.id, ExportedReturn.person_id == person.id
            )
        )
        or 0
    ) + 1
    return_id = str(uuid.uuid4())
    summary = summary_of(records)
    header = {
        "return": return_id,
        "round": round_.ref,
        "reviewer": person.email,
        "packet": packet.packet_id,
        "packet_sequence": packet.sequence,
        "sequence": sequence,
        "created_at": utcnow().isoformat(),
        "summary": summary,
    }
    data = json.dumps(records.as_json(), indent=1, sort_keys=True, ensure_ascii=False)
    progress(1, 2, "Signing the return")
    container.write_container(
        out, KIND, FORMAT, header, {RECORDS: data.encode("utf-8")}, keys.manifest_signer(identity)
    )
    try:
        digest = manifest_digest(out)
        session.add(
            ExportedReturn(
                return_id=return_id,
                round_id=round_.id,
                person_id=person.id,
                packet_id=packet.packet_id,
                sequence=sequence,
                manifest_sha256=digest,
                file_name=out.name,
            )
        )
        session.flush()
        audit.record(
            session,
            person.email,
            "return.exported",
            "round",
            round_.ref,
            {"return": return_id, "sequence": sequence, "manifest_sha256": digest, **summary},
        )
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    progress(2, 2, "Return written")
    return ReturnMade(
        return_id,
        round_.ref,
        person.email,
        packet.sequence,
        sequence,
        summary["reviews"],
        summary["submitted"],
        summary["drafts"],
        summary["declarations"],
        out,
        digest,
    )
