"""The benchmark's round: a competitive call as big as asked, built through the secretariat's
own doors, in a database of its own.

Why not `panel-desk demo`: the demo leaves a fifth of a call with information gaps (so
screening has something to show) and three reviewers a submission, where the benchmark
wants every submission through screening and reviewed four times. Why not bulk rows: the
figures are only worth something on data the app made itself, so the roster, submissions
(with their documents), screening and conflict detection go through the same services as
for a real call. Only what has no bulk door of its own is written directly: reviewers'
enrolled certificates and the packets issued to them (bench_packets.py).

The round is left in two states, each a database file the figures copy from:
`screened` (before assignment) and `issued` (reviewers assigned, enrolled and sent their
packets; no review on the hub yet).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.services import (
    assignment,
    conflicts,
    roster,
    screening,
    submissions,
)
from panel_desk.services.bench_packets import (
    ACTOR,
    ROUND_REF,
    Reviewer,
    enrol_reviewers,
    issue_packets,
)
from panel_desk.services.demo import (
    DemoRound,
    DemoSubmission,
    make_people,
    make_submissions,
    open_planned_round,
    write_roster,
    write_submissions,
)
from panel_desk.services.demo_content import document_name
from panel_desk.services.progress import Progress, no_progress
from panel_desk.services.rounds import criteria_of
from panel_desk.store.database import Database
from panel_desk.store.models import (
    Person,
    PersonRole,
    Stage,
)

REVIEWS_PER_SUBMISSION = 4
NOT_REVIEWERS = 6
"""make_people's first eight are secretariat, EAG and moderators; two of them also review."""
CHAIRS = 8
"""Reviewers who also sit on the moderation panel: a chair may not moderate a submission
they reviewed or have an open conflict with, and make_people's three moderators have
conflicts with a tenth of a call each, so a panel of three leaves submissions no one may
moderate."""
MORE_EAG = 5
"""EAG members besides make_people's three, for the same reason: a member abstains on
each submission they have a conflict with, and every decision needs a quorum of members
who did not."""


def reviewers_for(scale: int) -> int:
    """2,000 reviewers for 20,000 submissions: forty reviews each, as a busy panel has."""
    return max(12, scale // 10)


@dataclass(frozen=True)
class BenchRound:
    """Where the round's databases are, and what the returns need."""

    folder: Path
    screened: Path
    issued: Path
    round_ref: str
    secretariat: str
    quality: dict[str, float]  # submission ref → how strong it is (drives the scores)
    reviewers: tuple[Reviewer, ...]
    submissions: int


def checkpoint(path: Path) -> None:
    """Fold the WAL into the database file, so that a plain copy of the file is whole."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def copy_round(source: Path, target: Path) -> Path:
    """A copy of a checkpointed round database; documents are shared, not copied."""
    shutil.copyfile(source, target)
    blobs = source.with_name(source.name + ".blobs")
    if blobs.exists():
        target.with_name(target.name + ".blobs").symlink_to(blobs, target_is_directory=True)
    return target


def _complete(item: DemoSubmission, documents: list[str]) -> DemoSubmission:
    """The submission with every template field and document (the demo leaves gaps)."""
    fields = {k: v or f"Supplied with the submission ({k})." for k, v in item.fields.items()}
    return replace(item, fields=fields, documents=tuple(documents))


def _open_call(session: Session, scale: int, work: Path, rng: random.Random) -> dict[str, float]:
    people = make_people(reviewers_for(scale) + NOT_REVIEWERS + MORE_EAG, rng)
    for person in people[NOT_REVIEWERS + 2 : NOT_REVIEWERS + 2 + CHAIRS]:
        person.roles.append("moderator")  # reviewers who also chair (as the demo's eighth)
    for person in people[-MORE_EAG:]:  # lay members: no affiliation, a personal address
        person.roles[:] = ["eag"]
        person.affiliations.clear()
        person.interests.clear()
        person.email = person.email.split("@")[0] + "@gmail.com"
    write_roster(work / "roster.csv", people)
    roster.import_roster(session, work / "roster.csv", ACTOR)
    plan = DemoRound(
        Stage.GATEWAY,
        ROUND_REF,
        "Call for credential proposals (benchmark)",
        date(2026, 9, 1),
        date(2026, 11, 30),
        max(2, scale * 3 // 8),
        scale,
    )
    round_ = open_planned_round(session, plan, ACTOR)
    spec = criteria_of(session, round_)
    folder = work / "documents"
    folder.mkdir()
    items = [
        _complete(item, [document_name(r.patterns[0], item.ref) for r in spec.documents])
        for item in make_submissions(plan, spec, people, folder, rng)
    ]
    write_submissions(work / "submissions.csv", items)
    submissions.import_submissions(session, work / "submissions.csv", plan.ref, folder, ACTOR)
    screening.run_screening(session, plan.ref, ACTOR)
    conflicts.detect_conflicts(session, plan.ref, ACTOR)
    return {item.ref: item.quality for item in items}


def build_round(
    folder: Path,
    scale: int,
    progress: Progress = no_progress,
    seed: int = 2026,
    authority_in_keystore: bool = False,
) -> BenchRound:
    """Make the round in `folder` (which must be empty): see the module docstring.
    `authority_in_keystore`: see bench_packets.hub_authority."""
    rng = random.Random(seed)
    screened = folder / "screened.sqlite"
    progress(0, 3, f"Opening a call of {scale} submissions (roster, import, screening, conflicts)")
    db = Database(f"sqlite:///{screened}")
    try:
        with db.transaction() as session, tempfile.TemporaryDirectory(dir=folder) as work:
            quality = _open_call(session, scale, Path(work), rng)
            secretariat = session.scalars(
                select(Person.email)
                .join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == "secretariat")
                .order_by(Person.id)
            ).first()
    finally:
        db.close()
    checkpoint(screened)
    issued = copy_round(screened, folder / "issued.sqlite")
    progress(1, 3, f"Assigning {REVIEWS_PER_SUBMISSION} reviewers a submission, enrolling them")
    db = Database(f"sqlite:///{issued}")
    try:
        with db.transaction() as session:
            assignment.assign_round(
                session, ROUND_REF, per_submission=REVIEWS_PER_SUBMISSION, actor=ACTOR
            )
            enrolled = enrol_reviewers(session, authority_in_keystore)
            reviewers = issue_packets(session, enrolled, secretariat or ACTOR)
    finally:
        db.close()
    checkpoint(issued)
    progress(2, 3, "Round ready")
    return BenchRound(
        folder,
        screened,
        issued,
        ROUND_REF,
        secretariat or ACTOR,
        quality,
        reviewers,
        scale,
    )
