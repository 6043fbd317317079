"""A decision pack's feedback letters, each drawn and signed: in a second process while the
decision record is laid out, when there are enough of them to pay for one.

Drawing and signing a letter takes ~25 ms; a call of 1,000 submissions has 1,000 letters
beside a record of ~2,700 pages, and both are Python-bound (reportlab, pyHanko), so one
process does them one after the other. With a second core the letters go to a worker
process (spawned, not forked: the app's export runs in a Qt thread) while this one lays
out the record: the pack is made in about the time of the record alone.

What the letters say, their order, names and signatories are decided here before any is
drawn; the worker only draws and signs, and hands the bytes back in order, so the pack is
the same whichever way it was made (each ECDSA signature differs anyway). The signatories'
keys go to the worker through its pipe, in memory, as PKCS#8 DER: nothing is written
anywhere. Cancelling (a Cancelled raised by progress) drops the letters not yet made and
waits for the worker to finish the few in hand and exit, so nothing runs on afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from panel_desk.crypto.pdf import PdfSigner
from panel_desk.crypto.signing import SigningIdentity
from panel_desk.services.letters import letter_pdf
from panel_desk.services.pack_content import PackContent
from panel_desk.services.quiet_start import start_quietly

SIGNATURE_ROOM = 8192
"""Bytes kept in a PDF for each signature: an ECDSA CMS with two certificates takes under
3 KB; saying so spares pyHanko a trial signing per PDF (a letter signs in 14 ms, not 47)."""

IN_A_WORKER_FROM = 150
"""Letters below this are made in this process: starting a worker (~1 s) would not pay."""

CHUNK = 20
"""Letters a worker makes per task: progress and cancel come back at this pace (~0.5 s)."""


@dataclass(frozen=True)
class LetterJob:
    """One letter to make: the index of its submission in PackContent.records, and who signs."""

    record: int
    signer: str  # e-mail of the signatory who did not abstain on it


class _LetterMaker:
    """Draws and signs letters: in this process, or in the worker (one per worker)."""

    def __init__(
        self, content: PackContent, identities: Sequence[SigningIdentity], round_ref: str
    ) -> None:
        self.content = content
        self.round_ref = round_ref
        self.signers = {i.email: PdfSigner(i) for i in identities}

    def make(self, job: LetterJob) -> bytes:
        submission = self.content.records[job.record]
        return self.signers[job.signer].sign(
            letter_pdf(self.content, submission, job.signer),
            reason=f"Feedback letter {self.round_ref}/{submission.decision.ref}",
            location=self.content.organisation,
            field_name="Signature1",  # a fresh letter has no signature yet
            bytes_reserved=SIGNATURE_ROOM,
        )


# --- the worker process -----------------------------------------------------------------

KeyMaterial = tuple[str, bytes, bytes, bytes]  # e-mail, PKCS#8 key, certificate, authority

_worker: _LetterMaker | None = None


def _material(identity: SigningIdentity) -> KeyMaterial:
    assert identity.certificate is not None and identity.authority is not None
    der = serialization.Encoding.DER
    return (
        identity.email,
        identity.private_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        identity.certificate.public_bytes(der),
        identity.authority.public_bytes(der),
    )


def _start_worker(content: PackContent, keys: list[KeyMaterial], round_ref: str) -> None:
    global _worker
    identities = [
        SigningIdentity(
            email,
            serialization.load_der_private_key(key, password=None),  # type: ignore[arg-type]
            x509.load_der_x509_certificate(certificate),
            x509.load_der_x509_certificate(authority),
        )
        for email, key, certificate, authority in keys
    ]
    _worker = _LetterMaker(content, identities, round_ref)


def _make_in_worker(jobs: list[LetterJob]) -> list[bytes]:
    assert _worker is not None, "the worker was started without its letters"
    return [_worker.make(job) for job in jobs]


# --- what packs.py uses -------------------------------------------------------------------


def use_a_worker(letters: int) -> bool:
    """A worker when there are enough letters and a second core to draw them on."""
    return letters >= IN_A_WORKER_FROM and (os.cpu_count() or 1) >= 2


class Letters:
    """The pack's letters, made as `results()` is read; with `worker`, started in a second
    process on entering and made there while the caller does other work (the record).

        with Letters(content, identities, round_ref, jobs, worker=True) as letters:
            ... lay out and sign the record, calling letters.made() for progress ...
            for job, pdf in letters.results(): ...
    """

    def __init__(
        self,
        content: PackContent,
        identities: Sequence[SigningIdentity],
        round_ref: str,
        jobs: Sequence[LetterJob],
        *,
        worker: bool,
    ) -> None:
        self._content = content
        self._identities = list(identities)
        self._round_ref = round_ref
        self._jobs = list(jobs)
        self._worker = worker
        self._pool: ProcessPoolExecutor | None = None
        self._chunks: deque[tuple[list[LetterJob], Future[list[bytes]]]] = deque()

    def __enter__(self) -> Letters:
        if self._worker and self._jobs:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_quietly,
                initargs=(
                    0,
                    f"{__name__}:_start_worker",
                    self._content,
                    [_material(i) for i in self._identities],
                    self._round_ref,
                ),
            )
            for start in range(0, len(self._jobs), CHUNK):
                chunk = self._jobs[start : start + CHUNK]
                self._chunks.append((chunk, self._pool.submit(_make_in_worker, chunk)))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            # Letters not begun are dropped; the chunk in hand finishes, then the worker exits.
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def made(self) -> int:
        """How many letters the worker has made so far (0 when made here, as read)."""
        return sum(len(chunk) for chunk, future in self._chunks if future.done())

    def results(self) -> Iterator[tuple[LetterJob, bytes]]:
        """Every letter, in the order of the jobs."""
        if self._pool is None:
            maker = _LetterMaker(self._content, self._identities, self._round_ref)
            for job in self._jobs:
                yield job, maker.make(job)
            return
        while self._chunks:
            chunk, future = self._chunks.popleft()
            yield from zip(chunk, future.result(), strict=True)
