"""Reviewer packets: only the reviewer's own work leaves the hub; the reviewer's database is
set up from a packet whose signature and authority hold, and from nothing else."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from panel_desk.crypto.authority import certificate_pem
from panel_desk.errors import BadInput
from panel_desk.services import (
    assignment_changes,
    audit,
    conflict_declarations,
    keys,
    reviewing,
    roster,
    submission_views,
)
from panel_desk.services.database import open_database
from panel_desk.services.exchange import container, packet_content, packet_import, packets
from panel_desk.services.reviewing import Progress
from panel_desk.services.submission_views import Viewer
from panel_desk.services.vocabulary import Role
from panel_desk.store.models import (
    Assignment,
    AssignmentState,
    ConflictFlag,
    Person,
    Review,
    Round,
    Score,
    Submission,
)
from tests.crypto.support import Authority, MemoryKeyring, keys_kept_apart
from tests.dbstate import fingerprint
from tests.exchange_world import (
    ROUND,
    World,
    changed,
    choose_reviewer,
    count_rows,
    manifest_of,
    members_of,
)


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def world(demo_path: Path, tmp_path: Path) -> Iterator[World]:
    made = World(demo_path, tmp_path)
    yield made
    made.close()


# --- what a packet holds ---------------------------------------------------------------


def _round_facts(world: World) -> tuple[set[str], set[int]]:
    """The reviewer's submissions in the round, and their assignment ids on the hub."""

    def read(session):
        person = session.scalar(select(Person).where(Person.email == world.reviewer))
        rows = session.execute(
            select(Submission.ref, Assignment.id)
            .join(Assignment, Assignment.submission_id == Submission.id)
            .join(Round, Round.id == Submission.round_id)
            .where(
                Round.ref == ROUND,
                Assignment.person_id == person.id,
                Assignment.state == AssignmentState.ACTIVE,
            )
        ).all()
        return {r for r, _ in rows}, {a for _, a in rows}

    return world.hub.read(read)


def test_a_packet_holds_nothing_of_other_reviewers_or_conflicted_submissions(world: World):
    mine, my_assignments = _round_facts(world)
    conflicted = sorted(mine)[0]
    world.hub.run(
        conflict_declarations.declare_conflict,
        ROUND,
        world.reviewer,
        conflicted,
        "I examined the lead applicant's thesis.",
    )

    def plant_and_read(session):
        """Unique words in every other reviewer's reviews of my submissions, and everyone
        else in the round, to look for afterwards."""
        others = session.execute(
            select(Review.id, Person.email, Person.name)
            .join(Assignment, Assignment.id == Review.assignment_id)
            .join(Person, Person.id == Assignment.person_id)
            .join(Round, Round.id == Assignment.round_id)
            .where(Round.ref == ROUND, Assignment.id.not_in(my_assignments))
        ).all()
        for review_id, *_ in others:
            session.execute(
                update(Review)
                .where(Review.id == review_id)
                .values(comment=f"OTHER-REVIEW-{review_id}", conditions=f"OTHER-COND-{review_id}")
            )
            session.execute(
                update(Score)
                .where(Score.review_id == review_id)
                .values(comment=f"OTHER-SCORE-{review_id}")
            )
        people = session.execute(
            select(Person.email, Person.name)
            .join(Assignment, Assignment.person_id == Person.id)
            .where(Person.email != world.reviewer)
            .distinct()
        ).all()
        refs = session.scalars(select(Submission.ref).join(Round).where(Round.ref == ROUND)).all()
        return people, set(refs), len(others)

    people, refs, planted = world.hub.run(plant_and_read)
    assert planted > 10, "the demo gives the reviewer's submissions other reviewers"
    packet = world.export_packet()

    members = members_of(packet)
    text = "\n".join(data.decode("utf-8", "replace") for data in members.values())
    named = {
        email
        for submission in json.loads(members["packet.json"])["submissions"]
        for email in submission["named_people"]
    }
    # Someone named in a submission is part of it; anyone else must not appear at all.
    leaks = [
        email for email, name in people if email not in named and (email in text or name in text)
    ]
    assert leaks == []
    assert "OTHER-" not in text
    for ref in refs - (mine - {conflicted}):
        assert not re.search(rf"\b{re.escape(ref)}\b", text), f"{ref} is in the packet"
    assert manifest_of(packet)["assignments"] == sorted(mine - {conflicted})
    reviews = json.loads(members["reviews.json"])
    assert reviews["reviewer"] == world.reviewer and reviews["declarations"] == []
    assert {r["submission"] for r in reviews["reviews"]} <= mine - {conflicted}


def test_importing_a_packet_sets_up_the_reviewers_database(world: World):
    packet = world.export_packet()
    laptop = world.reviewer_db()
    done = laptop.run(packet_import.import_packet, packet)

    assert done.first and done.authority_trusted_now and done.sequence == 1
    assert done.reviewer == world.reviewer and done.signed_by == world.secretariat
    items = world.assignments(laptop)
    hub_items = world.assignments(world.hub)
    assert [(i.submission_ref, i.progress) for i in items] == [
        (i.submission_ref, i.progress) for i in hub_items
    ]
    assert any(i.progress == Progress.SUBMITTED for i in items), "submitted versions travel"
    first = items[0]
    detail = laptop.read(
        submission_views.submission_detail,
        first.submission_id,
        Viewer(world.reviewer, Role.REVIEWER),
    )
    assert detail.documents and detail.fields and detail.lead
    on_hub = world.hub.read(
        submission_views.submission_detail,
        next(i for i in hub_items if i.submission_ref == first.submission_ref).submission_id,
    )
    assert detail.checks == on_hub.checks and detail.fields == on_hub.fields
    assert (detail.lead, detail.partners, detail.named_people) == (
        on_hub.lead,
        on_hub.partners,
        tuple((email, "") for email, _ in on_hub.named_people),
    )
    copy = laptop.read(
        submission_views.copy_document_for_viewing,
        detail.documents[0].id,
        Viewer(world.reviewer, Role.REVIEWER),
    )
    assert container.sha256(copy.read_bytes()) == detail.documents[0].sha256
    assert laptop.read(keys.current_certificate, world.reviewer) is not None
    assert laptop.read(audit.verify_chain).intact
    people = count_rows(laptop.path, "SELECT count(*) FROM person")
    assert people == 1, "the reviewer's database knows only the reviewer"
    laptop.close()


def test_a_correction_on_the_laptop_starts_from_the_version_the_hub_holds(world: World):
    laptop = world.laptop()
    submitted = next(i for i in world.assignments(laptop) if i.progress == Progress.SUBMITTED)
    version = laptop.run(
        reviewing.start_correction, submitted.assignment_id, world.reviewer, "Wrong evidence."
    )
    assert version == 2
    laptop.close()


def test_a_newer_packet_brings_new_work_withdraws_old_and_keeps_the_reviewers_own(world: World):
    laptop = world.laptop()
    fresh = world.fresh(laptop)
    world.score(laptop, fresh[0].assignment_id, submit=False, tag="LOCAL ")
    withdrawn, kept = fresh[1].submission_ref, fresh[0].submission_ref
    world.hub.run(
        assignment_changes.withdraw_reviewer, ROUND, withdrawn, world.reviewer, world.secretariat
    )
    mine, _ = _round_facts(world)

    def unassigned(session):
        return session.scalars(
            select(Submission.ref)
            .join(Round)
            .where(Round.ref == ROUND, Submission.screening_state == "complete")
            .order_by(Submission.ref)
        ).all()

    new = next(
        ref
        for ref in world.hub.read(unassigned)
        if ref not in mine and ref != withdrawn and _assignable(world, ref)
    )
    second = world.export_packet(name="packet-2")
    done = laptop.run(packet_import.import_packet, second)

    assert done.sequence == 2 and not done.first
    assert done.added == (new,) and done.withdrawn == (withdrawn,)
    refs = {i.submission_ref: i for i in world.assignments(laptop)}
    assert new in refs and withdrawn not in refs
    assert refs[kept].progress == Progress.DRAFT, "the reviewer's draft is kept"
    laptop.close()


def _assignable(world: World, ref: str) -> bool:
    try:
        world.hub.run(assignment_changes.assign_reviewer, ROUND, ref, world.reviewer, "test")
    except BadInput:
        return False
    return True


def test_a_soft_conflict_the_hub_cleared_does_not_stop_the_reviewer_on_their_laptop(
    world: World,
):
    def cleared(session):
        flag = session.scalar(
            select(ConflictFlag)
            .join(Round, Round.id == ConflictFlag.round_id)
            .where(
                Round.ref == ROUND,
                ConflictFlag.rule == "mail_domain",
                ConflictFlag.status == "cleared",
            )
        )
        person = session.get(Person, flag.person_id)
        return person.email, session.get(Submission, flag.submission_id).ref

    email, ref = world.hub.read(cleared)
    world.hub.run(assignment_changes.assign_reviewer, ROUND, ref, email, world.secretariat)
    world.enrol(email)
    world.reviewer = email
    laptop = world.laptop(world.export_packet(email))
    chosen = next(i for i in world.assignments(laptop) if i.submission_ref == ref)

    world.score(laptop, chosen.assignment_id)  # certifies "no conflict", and submits

    assert (
        laptop.read(
            lambda s: s.scalar(
                select(ConflictFlag.status).where(ConflictFlag.rule == "mail_domain")
            )
        )
        == "cleared"
    )
    laptop.close()


def test_the_hub_refuses_a_packet_for_nobody_and_signs_only_as_the_secretariat(world: World):
    out = world.folder / "nothing.pdpacket"
    with pytest.raises(BadInput, match="no active assignment"):
        world.hub.run(packets.export_packet, ROUND, world.secretariat, out)
    with pytest.raises(BadInput, match="not in the secretariat"):
        world.hub.run(packets.export_packet, ROUND, world.reviewer, out, as_email=world.reviewer)
    assert not out.exists()


# --- bad packets: each refused naming the file, nothing changed ---------------------------


def _resigned(world: World, packet: Path, out: Path, signer, **header_changes) -> Path:
    """The packet's content under another signature (and header changes)."""
    manifest = manifest_of(packet)
    members = {
        n: d for n, d in members_of(packet).items() if n not in ("manifest.json", "manifest.sig")
    }
    header = {k: v for k, v in manifest.items() if k not in ("format", "kind", "members")}
    header.update(header_changes)
    fmt = header.pop("format_version", 1)
    container.write_container(out, "packet", fmt, header, members, keys.manifest_signer(signer))
    return out


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _hub_signer(world: World):
    return world.hub.read(keys.signing_identity, world.secretariat, require_certificate=True)


BAD = {
    "truncated": lambda w, p, o: _written(o, p.read_bytes()[: len(p.read_bytes()) // 2]),
    "not a zip": lambda w, p, o: _written(o, b"%PDF-1.4 not a packet\n" * 40),
    "no manifest": lambda w, p, o: changed(p, o, lambda m: m.pop("manifest.json")),
    "malformed manifest": lambda w, p, o: changed(
        p, o, lambda m: m.update({"manifest.json": b'{"kind": "packet", "format": 1,'})
    ),
    "changed member": lambda w, p, o: changed(
        p, o, lambda m: m.update({"packet.json": m["packet.json"].replace(b"met", b"MET", 1)})
    ),
    "future format": lambda w, p, o: _resigned(
        w, p, o, _hub_signer(w), format_version=packet_content.FORMAT + 1
    ),
    "foreign authority": lambda w, p, o: _resigned(
        w,
        p,
        o,
        (a := Authority()).identity(w.secretariat),
        authority=certificate_pem(a.certificate),
    ),
    "key not the certificate's": lambda w, p, o: _resigned(
        w, p, o, Authority().identity(w.secretariat)
    ),
}
PROBLEMS = {
    "truncated": "not a zip archive",
    "not a zip": "not a zip archive",
    "no manifest": "has no manifest.json",
    "malformed manifest": "manifest.json is malformed",
    "changed member": "does not match its hash",
    "future format": "newer than this panel_desk reads",
    "foreign authority": "not the one this database trusts",
    "key not the certificate's": "not issued by the certificate authority",
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_packet_is_refused_naming_the_file_and_changes_nothing(world: World, kind: str):
    packet = world.export_packet()
    laptop = world.laptop(packet)  # already trusts the hub's authority
    bad = BAD[kind](world, world.export_packet(name="packet-2"), world.folder / f"{kind}.pdpacket")
    laptop.close()
    before = fingerprint(world.folder / "laptop.sqlite")
    laptop = world.reviewer_db()

    with pytest.raises(BadInput) as refused:
        laptop.run(packet_import.import_packet, bad)

    assert refused.value.source == str(bad)
    assert PROBLEMS[kind] in str(refused.value)
    laptop.close()
    assert fingerprint(world.folder / "laptop.sqlite") == before


@pytest.mark.parametrize("kind", ["imported twice", "older", "another reviewer", "pinned"])
def test_a_packet_out_of_place_is_refused_and_changes_nothing(world: World, kind: str):
    first = world.export_packet()
    second = world.export_packet(name="packet-2")
    laptop = world.laptop(second if kind == "older" else first)
    given, pin = first, None
    if kind == "another reviewer":
        other = next(e for e in _reviewers_with_work(world) if e != world.reviewer)
        given = world.export_packet(other, name="other")
    if kind == "pinned":
        laptop.close()
        laptop = world.reviewer_db("fresh")
        pin = certificate_pem(Authority().certificate)
    path = laptop.path
    laptop.close()
    before = fingerprint(path)
    laptop = world.reviewer_db(path.stem)

    with pytest.raises(BadInput) as refused:
        laptop.run(packet_import.import_packet, given, authority_pem=pin)

    expected = {
        "imported twice": "was already imported",
        "older": "older than packet 2",
        "another reviewer": "this database holds the packets of",
        "pinned": "not the one given with --authority",
    }[kind]
    assert expected in str(refused.value) and refused.value.source == str(given)
    laptop.close()
    assert fingerprint(path) == before


def _reviewers_with_work(world: World) -> list[str]:
    def read(session):
        return session.scalars(
            select(Person.email)
            .join(Assignment, Assignment.person_id == Person.id)
            .join(Round, Round.id == Assignment.round_id)
            .where(Round.ref == ROUND, Assignment.state == AssignmentState.ACTIVE)
            .distinct()
            .order_by(Person.email)
        ).all()

    return world.hub.read(read)


def test_a_packet_is_never_imported_into_the_hub(world: World):
    packet = world.export_packet()
    before = fingerprint(world.hub_path)
    with pytest.raises(BadInput, match="this database is the hub's"):
        world.hub.run(packet_import.import_packet, packet)
    assert fingerprint(world.hub_path) == before


def test_a_member_of_the_secretariat_without_an_enrolled_key_is_told_how(world: World):
    unenrolled = next(
        p.email
        for p in world.hub.read(roster.list_people)
        if "secretariat" in p.roles and p.email != world.secretariat
    )
    with pytest.raises(BadInput, match=f"keys init --as {re.escape(unenrolled)} --enrol"):
        world.hub.run(
            packets.export_packet,
            ROUND,
            world.reviewer,
            world.folder / "p.pdpacket",
            as_email=unenrolled,
        )


def test_a_hub_without_its_authority_says_how_to_set_it_up(demo_path: Path, tmp_path: Path):
    hub = open_database(demo_path)
    with hub.engine.begin() as connection:  # the demo may have made one: this hub has not
        connection.exec_driver_sql("DELETE FROM person_certificate")
        connection.exec_driver_sql("DELETE FROM certificate_authority")
    secretariat = next(p.email for p in hub.read(roster.list_people) if "secretariat" in p.roles)
    with pytest.raises(BadInput, match="keys authority-init"):
        hub.run(
            packets.export_packet,
            ROUND,
            choose_reviewer(hub),
            tmp_path / "p.pdpacket",
            as_email=secretariat,
        )
    hub.close()
