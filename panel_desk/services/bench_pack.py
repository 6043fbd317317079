"""The benchmark's decision pack: a call of 1,000 submissions (fewer at a small --scale),
reviewed, moderated whole, signed off, and its pack exported, against reportlab drawing
the same pages unsigned.

The round goes through the same doors as the big one (bench_round.py, then every
reviewer's signed return imported), and is moderated and signed off as the demo's finished
round is (demo_signoff.py). The signatories' keys go to a keyring kept in memory for the
run: the benchmark must leave nothing in the user's keyring.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
from collections.abc import Iterator
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services.bench import Figure, Target, figure, timed
from panel_desk.services.bench_returns import write_returns
from panel_desk.services.bench_round import ACTOR, BenchRound, build_round
from panel_desk.services.decision_record import decision_record_pdf
from panel_desk.services.demo_signoff import moderate_whole_round, sign_whole_round
from panel_desk.services.exchange.return_import import import_returns
from panel_desk.services.letters import letter_pdf
from panel_desk.services.pack_content import gather
from panel_desk.services.pack_letters import IN_A_WORKER_FROM, use_a_worker
from panel_desk.services.packs import export_pack
from panel_desk.services.rounds import criteria_of, round_by_ref
from panel_desk.services.signoff import signoff_status
from panel_desk.store.database import Database
from panel_desk.store.models import ConflictFlag, Person, PersonRole

PACK_SIZE = 1_000


class MemoryKeyring(KeyringBackend):
    """Secrets for the length of the benchmark, and nowhere else."""

    priority = 1  # type: ignore[assignment]  (keyring recommends it: keys may go here)

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@contextlib.contextmanager
def keyring_in_memory() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def pack_size(scale: int) -> int:
    return min(PACK_SIZE, scale)


def _with_role(session: Session, role: str) -> list[str]:
    return list(
        session.scalars(
            select(Person.email)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == role)
            .order_by(Person.id)
        )
    )


def _signatories(session: Session) -> list[str]:
    """The EAG, those with fewest conflicts in the round first: sign-off stops at the
    quorum, and a member abstains on every submission they have a conflict with."""
    conflicts = dict(
        session.execute(
            select(ConflictFlag.person_id, func.count()).group_by(ConflictFlag.person_id)
        ).all()
    )
    members = session.execute(
        select(Person.id, Person.email)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(PersonRole.role == "eag")
        .order_by(Person.id)
    ).all()
    return [email for pid, email in sorted(members, key=lambda m: conflicts.get(m[0], 0))]


def _signed_round(folder: Path, size: int) -> tuple[BenchRound, Database]:
    """The round of `size` submissions, reviewed, moderated and signed off (module doc)."""
    folder.mkdir()
    bench = build_round(folder, size, authority_in_keystore=True)
    db = Database(f"sqlite:///{bench.issued}")
    spec = db.read(lambda s: criteria_of(s, round_by_ref(s, bench.round_ref)))
    returns = write_returns(bench, spec, folder / "returns")
    with db.transaction() as session:
        import_returns(session, returns, ACTOR)
        moderate_whole_round(session, bench.round_ref, _with_role(session, "moderator"), ACTOR)
        done = sign_whole_round(session, bench.round_ref, _signatories(session), bench.secretariat)
    if not db.read(signoff_status, bench.round_ref).complete:
        db.close()
        raise BadInput("bench", f"the decision pack's round could not be signed off: {done}")
    return bench, db


def _draw_unsigned(db: Database, round_ref: str) -> float:
    """Seconds for reportlab to draw the pack's pages (record and letters), unsigned."""
    with db.reading() as session:
        status = signoff_status(session, round_ref)
        content = gather(session, status)
    writer = status.counting[0].signer

    def draw() -> None:
        decision_record_pdf(content)
        for record in content.records:
            letter_pdf(content, record, writer)

    # As the export does: the collector's passes over what is loaded are no part of drawing.
    gc.freeze()
    try:
        return timed(draw)
    finally:
        gc.unfreeze()


def _how(size: int) -> str:
    if use_a_worker(size):
        return (
            "the export draws and signs the letters in a second process as it lays out the record"
        )
    return f"the export too (a second process from {IN_A_WORKER_FROM} letters)"


def pack_figure(folder: Path, scale: int, runs: int) -> Figure:
    size = pack_size(scale)
    seconds, raw = [], []
    with keyring_in_memory():
        bench, db = _signed_round(folder, size)
        try:
            for run in range(runs):
                out = folder / f"pack-{run}"

                def export(out: Path = out) -> None:
                    with db.transaction() as session:
                        export_pack(session, bench.round_ref, out, actor=bench.secretariat)

                seconds.append(timed(export))
                raw.append(_draw_unsigned(db, bench.round_ref))
                letters = len(list((out / "letters").iterdir()))
                shutil.rmtree(out, ignore_errors=True)
        finally:
            db.close()
    return figure(
        "decision_pack",
        f"decision pack of {size:,} submissions (PDF + letters + signatures)",
        seconds,
        Target(limit=60, ratio=1.5),
        baseline_runs=raw,
        note=f"{letters:,} signed letters and the signed decision record; baseline: "
        f"reportlab drawing the same pages unsigned, in one process; {_how(size)}",
    )
