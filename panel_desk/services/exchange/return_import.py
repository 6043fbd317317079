"""Importing a review return on the hub: verify everything, then apply it all or nothing.

In order: the container (container.py); the signature, which must be made with the key the
hub ENROLLED for the reviewer the return names (a key in the file counts for nothing, so a
copy of the packet alone cannot forge a return); the records inside, which must be for the
round and reviewer the manifest names; the packet it answers, which this hub must have
issued to that reviewer for that round; each review and declaration, which must concern a
submission that packet assigned; and its order among the reviewer's returns, so a return
replayed after a newer one is refused. Then returned_reviews.apply_records applies the
version rules in the caller's transaction, and the return is recorded.

The same file imported again changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit, signatures
from panel_desk.services.exchange import container
from panel_desk.services.exchange.reading import parse_json
from panel_desk.services.exchange.returns import (
    FORMATS,
    KIND,
    RECORDS,
    ReturnHeader,
    read_header,
    summary_of,
)
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.returned_reviews import apply_records
from panel_desk.services.review_records import ReviewerRecords
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    IssuedPacket,
    Person,
    ReceivedReturn,
    Round,
    Submission,
)


@dataclass(frozen=True)
class ReturnImported:
    return_id: str
    round_ref: str
    reviewer: str
    packet_sequence: int
    sequence: int
    already: bool  # this very return was imported before: nothing changed
    new_versions: tuple[tuple[str, int], ...]
    updated_drafts: tuple[tuple[str, int], ...]
    unchanged: tuple[str, ...]
    declarations: tuple[str, ...]
    submitted: int  # reviews in the return whose newest version is submitted

    @property
    def changed(self) -> bool:
        return bool(self.new_versions or self.updated_drafts or self.declarations)


def _verifier(session: Session, source: str) -> container.Verifier:
    def verify(payload: bytes, signature: bytes, manifest: object) -> None:
        header = read_header(source, manifest)  # shape first: the signer is named in it
        signatures.enrolled_verifier(session, source, lambda _m: header.reviewer)(
            payload,
            signature,
            manifest,  # type: ignore[arg-type]
        )

    return verify


def _issued(session: Session, header: ReturnHeader, source: str) -> IssuedPacket:
    packet = session.scalar(select(IssuedPacket).where(IssuedPacket.packet_id == header.packet_id))
    if packet is None:
        raise BadInput(
            source, f"answers packet {header.packet_id[:8]}…, which this hub never issued"
        )
    issued_to = session.get_one(Person, packet.person_id).email
    issued_for = session.get_one(Round, packet.round_id).ref
    if (issued_to, issued_for) != (header.reviewer, header.round_ref):
        raise BadInput(
            source,
            f"is from {header.reviewer} for {header.round_ref}, but the packet it answers was "
            f"issued to {issued_to} for {issued_for}",
        )
    if packet.sequence != header.packet_sequence:
        raise BadInput(source, "names its packet with the wrong sequence number")
    return packet


def _in_order(
    session: Session, header: ReturnHeader, packet: IssuedPacket, digest: str, source: str
) -> ReceivedReturn | None:
    """The earlier import of this very return (None: it is new); BadInput when a newer
    return was imported before it."""
    latest = session.scalar(
        select(ReceivedReturn)
        .where(
            ReceivedReturn.round_id == packet.round_id,
            ReceivedReturn.person_id == packet.person_id,
        )
        .order_by(ReceivedReturn.packet_sequence.desc(), ReceivedReturn.sequence.desc())
        .limit(1)
    )
    same = session.scalar(
        select(ReceivedReturn).where(ReceivedReturn.return_id == header.return_id)
    )
    if same is not None and same.manifest_sha256 != digest:
        raise BadInput(source, "reuses the identity of another return with other content")
    if latest is None or (same is not None and same.id == latest.id):
        return same
    if (header.packet_sequence, header.sequence) <= (latest.packet_sequence, latest.sequence):
        made = f"made {header.created_at:%Y-%m-%d %H:%M}"
        newer = f"made {latest.created_at:%Y-%m-%d %H:%M}, imported {latest.received_at:%Y-%m-%d}"
        raise BadInput(
            source,
            f"is an older return ({made}) than one already imported ({newer}): a return "
            "replayed after a newer one is refused",
        )
    return same


def _still_assigned(session: Session, packet: IssuedPacket, refs: list[str], source: str) -> None:
    """BadInput, saying what to do, when the hub withdrew a reviewed assignment since."""
    active = set(
        session.scalars(
            select(Submission.ref)
            .join(Assignment, Assignment.submission_id == Submission.id)
            .where(
                Assignment.round_id == packet.round_id,
                Assignment.person_id == packet.person_id,
                Assignment.state == AssignmentState.ACTIVE,
            )
        )
    )
    gone = sorted(set(refs) - active)
    if gone:
        raise BadInput(
            source,
            f"reviews {', '.join(gone)}, withdrawn from this reviewer since packet "
            f"{packet.sequence} was issued: send them a new packet (it withdraws "
            f"{'them' if len(gone) > 1 else 'it'} on their laptop too), then ask for a new return",
        )


def import_return(
    session: Session, path: Path, actor: str, *, progress: Progress = no_progress
) -> ReturnImported:
    """Verify the return at `path` and apply it: all of it, or (BadInput) nothing."""
    source = str(path)
    progress(0, 3, "Checking the return and its signature")
    opened = container.open_container(path, KIND, FORMATS, _verifier(session, source))
    header = read_header(source, opened.manifest)
    if RECORDS not in opened.members:
        raise BadInput(source, f"has no {RECORDS}: it is not a complete return")
    records = ReviewerRecords.from_json(
        parse_json(source, opened.members[RECORDS], RECORDS), source
    )
    if (records.round_ref, records.reviewer.strip().lower()) != (header.round_ref, header.reviewer):
        raise BadInput(
            source, "its records are for another round or reviewer than it is signed for"
        )
    digest = container.sha256(opened.manifest_bytes)
    packet = _issued(session, header, source)
    earlier = _in_order(session, header, packet, digest, source)
    summary = summary_of(records)
    if earlier is not None:
        return ReturnImported(
            header.return_id, header.round_ref, header.reviewer, header.packet_sequence,
            header.sequence, True, (), (), tuple(r.submission_ref for r in records.reviews), (),
            summary["submitted"],
        )  # fmt: skip
    allowed = set(packet.submissions)
    for ref in [r.submission_ref for r in records.reviews] + [
        d.submission_ref for d in records.declarations
    ]:
        if ref not in allowed:
            raise BadInput(
                source,
                f"concerns {ref}, which packet {packet.sequence} did not assign to "
                f"{header.reviewer} in {header.round_ref}",
            )
    _still_assigned(session, packet, [r.submission_ref for r in records.reviews], source)
    progress(1, 3, "Applying the reviews")
    applied = apply_records(session, records, actor, source=source)
    progress(2, 3, "Recording the return")
    session.add(
        ReceivedReturn(
            return_id=header.return_id,
            issued_packet_id=packet.id,
            round_id=packet.round_id,
            person_id=packet.person_id,
            packet_sequence=header.packet_sequence,
            sequence=header.sequence,
            created_at=header.created_at,
            received_by=actor,
            manifest_sha256=digest,
            summary={
                **summary,
                "new_versions": [list(v) for v in applied.new_versions],
                "updated_drafts": [list(v) for v in applied.updated_drafts],
                "declarations": list(applied.declarations),
            },
            file_name=path.name,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "return.imported",
        "round",
        header.round_ref,
        {
            "return": header.return_id,
            "reviewer": header.reviewer,
            "packet": header.packet_id,
            "sequence": header.sequence,
            "manifest_sha256": digest,
            "new_versions": [list(v) for v in applied.new_versions],
            "declarations": list(applied.declarations),
        },
        concerns=(("person", header.reviewer),),
    )
    progress(3, 3, "Return imported")
    return ReturnImported(
        header.return_id,
        header.round_ref,
        header.reviewer,
        header.packet_sequence,
        header.sequence,
        False,
        applied.new_versions,
        applied.updated_drafts,
        applied.unchanged,
        applied.declarations,
        summary["submitted"],
    )
