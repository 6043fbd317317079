"""Submission documents' bytes, kept in the database so every user of a hub can read them.

On a PostgreSQL hub several secretariat users work from their own machines; a document
kept only on the disk of the machine that imported it could not be opened, or put in a
packet, by anyone else. So importing a submission stores each document's bytes once per
SHA-256 in `document_content`, in the import's own transaction (all or nothing, like the
rest of the import), on both engines. The file store beside the database
(store/blobs.py) is still written as this machine's copy: backups and the benches read
it, and it costs a SQLite hub one extra copy of each document.

Documents imported before migration 0009 have their bytes only in the importing
machine's file store. They are not copied in by the migration (on a hub the files are on
whichever machine imported them, not necessarily where the migration runs, and copying
gigabytes would stall opening the database); they are read from this machine's store as
a fallback, and any write that reads them so (a packet, a re-import) stores them in the
database, so the hub's other users can read them from then on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.store.blobs import BlobStore
from panel_desk.store.database import blobs_of
from panel_desk.store.models import DocumentContent

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
"""The largest document a submission may carry: ample for a specification or a PDF
portfolio, and small enough to hold in memory while a packet is written."""
_BATCH_BYTES = 32 * 1024 * 1024
_BATCH_ROWS = 500


def size_problem(size: int) -> str:
    """Why a document of `size` bytes is refused, or "" when it is not."""
    if size <= MAX_DOCUMENT_BYTES:
        return ""
    return (
        f"is {size / 1024 / 1024:.1f} MB; a document may be at most "
        f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB (split it, or compress its images)"
    )


@dataclass(frozen=True)
class Stored:
    """A document to read: its name (for messages), hash and place in the file store."""

    name: str
    sha256: str
    blob_path: str


def held(session: Session, digests: Iterable[str]) -> set[str]:
    """Which of `digests` the database holds the bytes of."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for start in range(0, len(wanted), 5_000):
        found.update(
            session.scalars(
                select(DocumentContent.sha256).where(
                    DocumentContent.sha256.in_(wanted[start : start + 5_000])
                )
            )
        )
    return found


def store_files(session: Session, files: Iterable[tuple[str, Path]]) -> int:
    """Store the bytes of each (sha256, file) the database does not hold yet; how many.
    Written in batches, so a large import never holds all its documents in memory."""
    pending = dict(files)
    missing = sorted(set(pending) - held(session, pending))
    batch: dict[str, bytes] = {}
    size = 0
    for digest in missing:
        data = pending[digest].read_bytes()
        if BlobStore.digest(data) != digest:
            raise BadInput(str(pending[digest]), "changed while it was being imported; try again")
        batch[digest] = data
        size += len(data)
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_ROWS:
            _insert(session, batch)
            batch, size = {}, 0
    _insert(session, batch)
    return len(missing)


def store_bytes(session: Session, contents: Mapping[str, bytes]) -> int:
    """Store each (sha256 → bytes) the database does not hold yet; how many."""
    missing = {d: contents[d] for d in sorted(set(contents) - held(session, contents))}
    _insert(session, missing)
    return len(missing)


def _insert(session: Session, batch: Mapping[str, bytes]) -> None:
    if batch:
        session.execute(
            insert(DocumentContent),
            [{"sha256": d, "size": len(data), "content": data} for d, data in batch.items()],
        )


def read_contents(
    session: Session, documents: Iterable[Stored], *, adopt: bool = False
) -> dict[str, bytes]:
    """The bytes of each document, by SHA-256: from the database, else (a document from
    before 0009) from this machine's file store; `adopt` stores what came from disk in
    the database (pass it in a writing transaction). BadInput names a document found in
    neither."""
    wanted = {d.sha256: d for d in documents}
    contents: dict[str, bytes] = {}
    digests = sorted(wanted)
    for start in range(0, len(digests), _BATCH_ROWS):
        for digest, content in session.execute(
            select(DocumentContent.sha256, DocumentContent.content).where(
                DocumentContent.sha256.in_(digests[start : start + _BATCH_ROWS])
            )
        ):
            contents[digest] = content
    from_disk: dict[str, bytes] = {}
    blobs = blobs_of(session)
    for digest in sorted(set(wanted) - set(contents)):
        document = wanted[digest]
        path = blobs.path(document.blob_path) if document.blob_path else None
        data = path.read_bytes() if path is not None and path.is_file() else None
        if data is None or BlobStore.digest(data) != digest:
            raise BadInput(
                document.name,
                "is neither in the database nor in this machine's document store: it was "
                "imported on another machine before documents were kept in the database; "
                "import its submissions again on a machine that has the file",
            )
        from_disk[digest] = data
    if adopt:
        store_bytes(session, from_disk)
    return {**contents, **from_disk}


def read_one(session: Session, document: Stored) -> bytes:
    return read_contents(session, [document])[document.sha256]
