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

`import_returns` takes many files in one transaction (all of them, or none): what every
return needs from the hub (packets, certificates, earlier returns, the reviewers'
assignments and reviews) is read once for the whole batch, and the reviews are written
together (services/returned_batch.py), so a 20,000-submission round's returns import in
seconds, not hours. `import_return` is the batch of one.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.exchange import container
from panel_desk.services.exchange.reading import parse_json
from panel_desk.services.exchange.return_checks import Received, ReturnChecks
from panel_desk.services.exchange.return_reading import ReadAhead, ReadingAhead, use_a_worker
from panel_desk.services.exchange.returns import (
    FORMATS,
    KIND,
    RECORDS,
    ReturnHeader,
    read_header,
    summary_of,
)
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.returned_batch import ReturnBatch, collector_paused
from panel_desk.services.returned_reviews import apply_in_batch
from panel_desk.services.returned_stage import ReadInFull
from panel_desk.services.review_records import ReviewerRecords
from panel_desk.store.base import utcnow
from panel_desk.store.models import (
    ReceivedReturn,
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


def _peek(path: Path) -> ReturnHeader | None:
    """The header of a return, read without checking anything else (None when it cannot be
    read: the full check names the problem when the file's turn comes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(container.MANIFEST)
            if info.file_size > container.MAX_MANIFEST_BYTES:
                return None
            return read_header(str(path), json.loads(archive.read(info)))
    except Exception:  # anything at all: this is only a look ahead
        return None


def _still_assigned(batch: ReturnBatch, header: ReturnHeader, refs: list[str], source: str,
                    sequence: int) -> None:  # fmt: skip
    """BadInput, saying what to do, when the hub withdrew a reviewed assignment since."""
    reviewer = batch.reviewer(batch.round(header.round_ref), header.reviewer, source)
    active = {ref for ref, a in reviewer.assignments.items() if a.active}
    gone = sorted(set(refs) - active)
    if gone:
        raise BadInput(
            source,
            f"reviews {', '.join(gone)}, withdrawn from this reviewer since packet "
            f"{sequence} was issued: send them a new packet (it withdraws "
            f"{'them' if len(gone) > 1 else 'it'} on their laptop too), then ask for a new return",
        )


def import_returns(
    session: Session, paths: Sequence[Path], actor: str, *, progress: Progress = no_progress
) -> list[ReturnImported]:
    """Verify the returns at `paths` and apply them: all of them, or (BadInput naming the
    file) nothing. A return already imported changes nothing and says so."""
    with collector_paused():
        return _import_returns(session, paths, actor, progress)


def _import_returns(
    session: Session, paths: Sequence[Path], actor: str, progress: Progress
) -> list[ReturnImported]:
    if not use_a_worker(len(paths), session.get_bind().dialect.name):
        return _import_each(session, paths, actor, progress, None)
    with (
        tempfile.TemporaryDirectory(
            prefix="panel-desk-returns-", ignore_cleanup_errors=True
        ) as folder,
        ReadingAhead(paths, Path(folder)) as ahead,
    ):
        return _import_each(session, paths, actor, progress, ahead)


def _import_each(
    session: Session,
    paths: Sequence[Path],
    actor: str,
    progress: Progress,
    ahead: ReadingAhead | None,
) -> list[ReturnImported]:
    """Each return in turn; with `ahead`, as the worker reads them, and what it read of
    each segment written as soon as the segment is applied."""
    peeked = [_peek(p) for p in paths]
    headers = [h for h in peeked if h is not None]
    hub = ReturnChecks(session)
    hub.prepare(headers)
    batch = ReturnBatch(session, actor)
    by_round: dict[str, list[str]] = {}
    for header in headers:
        by_round.setdefault(header.round_ref, []).append(header.reviewer)
    scales = {}
    for round_ref in by_round:
        with contextlib.suppress(BadInput):  # no such round: its returns say so in turn
            scales[round_ref] = batch.round(round_ref).scales
    if ahead is not None:
        ahead.read(
            [None if h is None else h.reviewer for h in peeked], hub.keys.certificates, scales
        )
        batch.use_segments(ahead.segments)
    for round_ref, emails in by_round.items():
        with contextlib.suppress(BadInput):
            batch.prepare(round_ref, emails)
    try:
        done = _apply_each(batch, hub, paths, actor, progress, ahead)
    except BaseException:
        batch.abandon()
        raise
    progress(len(paths), len(paths), "Writing the reviews")
    batch.close()
    return done


def _apply_each(
    batch: ReturnBatch,
    hub: ReturnChecks,
    paths: Sequence[Path],
    actor: str,
    progress: Progress,
    ahead: ReadingAhead | None,
) -> list[ReturnImported]:
    done = []
    segment = 0
    for number, path in enumerate(paths):
        progress(number, len(paths), f"Importing {path.name}")
        found = None
        if ahead is not None:
            if (now := ahead.segment_of(number)) != segment:
                batch.flush()  # the segment applied: its scores copied while the next is read
                segment = now
            found = ahead.get(number)
        if found is not None:
            try:
                done.append(_import_one(batch, hub, path, actor, found))
                continue
            except ReadInFull:
                pass
        done.append(_import_one(batch, hub, path, actor))
    return done


def import_return(
    session: Session, path: Path, actor: str, *, progress: Progress = no_progress
) -> ReturnImported:
    """Verify the return at `path` and apply it: all of it, or (BadInput) nothing."""
    progress(0, 2, "Checking the return and applying its reviews")
    done = import_returns(session, [path], actor)[0]
    progress(2, 2, "Return imported")
    return done


def _read(hub: ReturnChecks, path: Path) -> tuple[ReturnHeader, ReviewerRecords, str]:
    """(header, records, manifest digest) of the return, every check made here."""
    source = str(path)
    opened = container.open_container(path, KIND, FORMATS, hub.verifier(source))
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
    return header, records, container.sha256(opened.manifest_bytes)


def _import_one(
    batch: ReturnBatch,
    hub: ReturnChecks,
    path: Path,
    actor: str,
    ahead: ReadAhead | None = None,
) -> ReturnImported:
    """Apply one return; `ahead`: as the worker read it (ReadInFull when not enough)."""
    source = str(path)
    if ahead is None:
        header, records, digest = _read(hub, path)
    else:
        header, records, digest = ahead.header, ahead.records, ahead.digest
    if header.packet_id not in hub.packets:
        hub.prepare([header])  # not looked ahead (unreadable then?): read it now
    packet = hub.packet(header, source)
    earlier = hub.in_order(header, packet, digest, source)
    summary = summary_of(records)
    if earlier is not None:
        return ReturnImported(
            header.return_id, header.round_ref, header.reviewer, header.packet_sequence,
            header.sequence, True, (), (), tuple(r.submission_ref for r in records.reviews), (),
            summary["submitted"],
        )  # fmt: skip
    for ref in [r.submission_ref for r in records.reviews] + [
        d.submission_ref for d in records.declarations
    ]:
        if ref not in packet.submissions:
            raise BadInput(
                source,
                f"concerns {ref}, which packet {packet.sequence} did not assign to "
                f"{header.reviewer} in {header.round_ref}",
            )
    _still_assigned(
        batch, header, [r.submission_ref for r in records.reviews], source, packet.sequence
    )
    applied = apply_in_batch(batch, records, source, None if ahead is None else ahead.staged)
    received_at = utcnow()
    batch.add_row(
        ReceivedReturn,
        {
            "return_id": header.return_id,
            "issued_packet_id": packet.id,
            "round_id": packet.round_id,
            "person_id": packet.person_id,
            "packet_sequence": header.packet_sequence,
            "sequence": header.sequence,
            "created_at": header.created_at,
            "received_at": received_at,
            "received_by": actor,
            "manifest_sha256": digest,
            "summary": {
                **summary,
                "new_versions": [list(v) for v in applied.new_versions],
                "updated_drafts": [list(v) for v in applied.updated_drafts],
                "declarations": list(applied.declarations),
            },
            "file_name": path.name,
        },
    )
    hub.note(
        packet.round_id,
        packet.person_id,
        Received(
            header.return_id,
            header.packet_sequence,
            header.sequence,
            header.created_at,
            received_at,
            digest,
        ),
    )
    batch.record(
        audit.Change(
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
    )
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
