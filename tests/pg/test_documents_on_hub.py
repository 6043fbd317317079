"""A shared hub on PostgreSQL: documents one secretariat user imports on their machine are
in the hub's database, so another user, on another machine with its own file store, can
put them in a reviewer's packet (issue 9)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from panel_desk.services import assignment_changes, screening, submissions
from panel_desk.services.database import open_database
from panel_desk.services.exchange import packets
from panel_desk.store import database as store_database
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    Document,
    NamedPerson,
    Organisation,
    Person,
    Round,
    Submission,
    SubmissionPartner,
    TemplateField,
)
from tests.exchange_world import ROUND, World, members_of

NEW = "EN-90"


pytestmark = pytest.mark.usefixtures("ring")  # keys in memory (tests/pg/conftest.py)


def _like_one_of_theirs(world: World, folder: Path) -> tuple[Path, dict[str, bytes]]:
    """submissions.csv with one new submission shaped like one the reviewer already
    reviews (so the same conflict rules clear them), with documents of its own."""

    def read(session):
        sid, ref = session.execute(
            select(Submission.id, Submission.ref)
            .join(Round, Round.id == Submission.round_id)
            .join(Assignment, Assignment.submission_id == Submission.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(
                Round.ref == ROUND,
                Person.email == world.reviewer,
                Assignment.state == AssignmentState.ACTIVE,
            )
            .order_by(Submission.ref)
            .limit(1)
        ).one()
        s = session.get_one(Submission, sid)
        names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
        return {
            "ref": ref,
            "title": f"{s.title} (second edition)",
            "lead_organisation": names[s.lead_organisation_id],
            "partner_organisations": ";".join(
                names[o]
                for o in session.scalars(
                    select(SubmissionPartner.organisation_id).where(
                        SubmissionPartner.submission_id == sid
                    )
                )
            ),
            "named_people": ";".join(
                session.scalars(select(NamedPerson.email).where(NamedPerson.submission_id == sid))
            ),
            "area": s.area,
            "documents": list(
                session.scalars(select(Document.name).where(Document.submission_id == sid))
            ),
            "fields": {
                f.key: f.value
                for f in session.scalars(
                    select(TemplateField)
                    .where(TemplateField.submission_id == sid)
                    .order_by(TemplateField.position)
                )
            },
        }

    row = world.hub.read(read)
    folder.mkdir()
    contents = {}
    for name in row["documents"]:
        new_name = name.replace(row["ref"], NEW)
        contents[new_name] = f"%PDF-1.4 {new_name}, imported on machine A\n".encode()
        (folder / new_name).write_bytes(contents[new_name])
    path = folder.parent / "submissions.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*submissions.SUBMISSION_COLUMNS, *row["fields"]])
        writer.writerow(
            [
                NEW,
                row["title"],
                row["lead_organisation"],
                row["partner_organisations"],
                row["named_people"],
                row["area"],
                ";".join(contents),
                *row["fields"].values(),
            ]
        )
    return path, contents


def test_documents_imported_by_one_user_go_in_another_users_packet(
    hub_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(hub_url, tmp_path)  # user A, on machine A
    try:
        csv_path, contents = _like_one_of_theirs(world, tmp_path / "documents")
        world.hub.run(
            submissions.import_submissions, csv_path, ROUND, tmp_path / "documents", "a@hub"
        )
        world.hub.run(screening.run_screening, ROUND, world.secretariat)
        world.hub.run(
            assignment_changes.assign_reviewer, ROUND, NEW, world.reviewer, world.secretariat
        )
    finally:
        world.close()
    machine_b = tmp_path / "machine-b-documents"
    monkeypatch.setattr(store_database, "blob_root", lambda url: machine_b)
    user_b = open_database(hub_url)  # user B: another connection, another file store
    out = tmp_path / "packet.pdpacket"
    try:
        issued = user_b.run(packets.export_packet, ROUND, world.reviewer, out)
    finally:
        user_b.close()

    assert NEW in issued.submissions
    members = members_of(out)
    for name, data in contents.items():
        assert f"documents/{store_database.BlobStore.digest(data)}" in members, name
        assert members[f"documents/{store_database.BlobStore.digest(data)}"] == data
    assert not machine_b.exists() or not any(p.is_file() for p in machine_b.rglob("*"))
