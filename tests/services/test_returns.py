"""Review returns: signed on the reviewer's laptop with their own key, bound to the packet
they answer; on the hub verified against the key enrolled for that reviewer, then applied
whole or not at all, once, and never behind a newer return."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import assignment_changes, audit, keys, reviewing
from panel_desk.services.exchange import container, packet_import, return_import, returns
from panel_desk.services.review_records import versions_of
from panel_desk.services.reviewing import Progress
from panel_desk.store.models import Assignment, AssignmentState, ReceivedReturn
from tests.crypto.support import Authority, MemoryKeyring, keys_kept_apart
from tests.dbstate import fingerprint
from tests.exchange_world import ROUND, World, changed, manifest_of, members_of


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def world(demo_path: Path, tmp_path: Path) -> Iterator[World]:
    made = World(demo_path, tmp_path)
    yield made
    made.close()


def _hub_assignment(world: World, ref: str) -> int:
    return world.hub.read(reviewing.find_assignment, world.reviewer, ref, ROUND)


def _hub_versions(world: World, ref: str) -> list[tuple[int, str]]:
    assignment = _hub_assignment(world, ref)
    return [(r.version, r.state) for r in world.hub.read(versions_of, assignment)]


def _import(world: World, path: Path) -> return_import.ReturnImported:
    return world.hub.run(return_import.import_return, path, world.secretariat)


def test_a_return_is_applied_on_the_hub_and_recorded(world: World):
    laptop = world.laptop()
    first, second = world.fresh(laptop)[:2]
    world.score(laptop, first.assignment_id, tag="SENT ")
    world.score(laptop, second.assignment_id, submit=False)
    path = world.export_return(laptop)
    laptop.close()

    done = _import(world, path)

    assert not done.already and done.changed
    assert set(done.new_versions) == {(first.submission_ref, 1), (second.submission_ref, 1)}
    assert _hub_versions(world, first.submission_ref) == [(1, "submitted")]
    assert _hub_versions(world, second.submission_ref) == [(1, "draft")]
    hub_items = {i.submission_ref: i.progress for i in world.assignments(world.hub)}
    assert hub_items[first.submission_ref] == Progress.SUBMITTED
    received = world.hub.read(lambda s: s.scalars(select(ReceivedReturn)).all())
    assert [(r.sequence, r.packet_sequence) for r in received] == [(1, 1)]
    assert received[0].manifest_sha256 == container.sha256(members_of(path)["manifest.json"])
    assert world.hub.read(audit.verify_chain).intact


def test_the_same_return_imported_again_changes_nothing(world: World):
    laptop = world.laptop()
    world.score(laptop, world.fresh(laptop)[0].assignment_id)
    path = world.export_return(laptop)
    laptop.close()
    _import(world, path)
    before = fingerprint(world.hub_path)

    again = _import(world, path)

    assert again.already and not again.changed
    assert fingerprint(world.hub_path) == before


def test_a_declared_conflict_travels_and_a_draft_begun_before_it_does_not(world: World):
    laptop = world.laptop()
    chosen = world.fresh(laptop)[0]
    world.score(laptop, chosen.assignment_id, submit=False, tag="BEFORE DECLARING ")
    laptop.run(
        reviewing.declare_conflict, chosen.assignment_id, world.reviewer, "My former student."
    )
    path = world.export_return(laptop)
    laptop.close()
    assert "BEFORE DECLARING" not in members_of(path)["records.json"].decode()

    done = _import(world, path)

    assert done.declarations == (chosen.submission_ref,)
    assignment = _hub_assignment(world, chosen.submission_ref)
    state = world.hub.read(lambda s: s.get_one(Assignment, assignment).state)
    assert state == AssignmentState.WITHDRAWN


def test_a_return_needs_a_packet_and_something_to_return(world: World):
    with pytest.raises(BadInput, match="no packet"):
        world.hub.run(
            returns.export_return, world.reviewer, world.folder / "r.pdreturn", round_ref=ROUND
        )
    idle = next(
        email
        for email in world.reviewers()
        if all(i.progress == Progress.NOT_STARTED for i in world.assignments(world.hub, email))
    )
    world.enrol(idle)
    world.reviewer = idle
    laptop = world.laptop(world.export_packet(idle))
    with pytest.raises(BadInput, match="nothing to return"):
        laptop.run(
            returns.export_return,
            world.reviewer,
            world.folder / "r.pdreturn",
            round_ref=ROUND,
        )
    laptop.close()
    assert not (world.folder / "r.pdreturn").exists()


# --- bad returns: each refused naming the file, the hub unchanged --------------------------


def _resigned(
    path: Path,
    out: Path,
    signer,
    header: dict[str, Any] | None = None,
    records: Callable[[dict], None] | None = None,
) -> Path:
    """The return's content (changed) under a signature by `signer`."""
    manifest = manifest_of(path)
    data = json.loads(members_of(path)["records.json"])
    if records:
        records(data)
    head = {k: v for k, v in manifest.items() if k not in ("format", "kind", "members")}
    head.update(header or {})
    fmt = head.pop("format_version", 1)
    member = {"records.json": json.dumps(data).encode()}
    container.write_container(out, "return", fmt, head, member, keys.manifest_signer(signer))
    return out


def _own_key(world: World):
    return keys.signing_identity(None, world.reviewer)


def _unassigned(world: World) -> str:
    mine = {i.submission_ref for i in world.assignments(world.hub)}
    return next(ref for ref in (f"EN-{n:02d}" for n in range(1, 40)) if ref not in mine)


def _elsewhere(data: dict, ref: str) -> None:
    data["reviews"][0]["submission"] = ref


BAD: dict[str, Callable[[World, Path, Path], Path]] = {
    "truncated": lambda w, p, o: _written(o, p.read_bytes()[:-300]),
    "not a zip": lambda w, p, o: _written(o, b"scores,comments\n1,2\n" * 50),
    "no manifest": lambda w, p, o: changed(p, o, lambda m: m.pop("manifest.json")),
    "malformed manifest": lambda w, p, o: changed(
        p, o, lambda m: m.update({"manifest.json": m["manifest.json"][:-40]})
    ),
    "changed member": lambda w, p, o: changed(
        p, o, lambda m: m.update({"records.json": m["records.json"].replace(b"met", b"not met", 1)})
    ),
    "future format": lambda w, p, o: _resigned(p, o, _own_key(w), {"format_version": 7}),
    "unknown key": lambda w, p, o: _resigned(p, o, Authority().identity(w.reviewer)),
    "another signer": lambda w, p, o: _resigned(p, o, keys.signing_identity(None, w.secretariat)),
    "another round": lambda w, p, o: _resigned(
        p, o, _own_key(w), {"round": "GW-2026-01"}, lambda d: d.update({"round": "GW-2026-01"})
    ),
    "unassigned submission": lambda w, p, o: _resigned(
        p, o, _own_key(w), records=lambda d: _elsewhere(d, _unassigned(w))
    ),
    "unknown packet": lambda w, p, o: _resigned(
        p, o, _own_key(w), {"packet": "00000000-0000-4000-8000-000000000000"}
    ),
}
PROBLEMS = {
    "truncated": "not a zip archive",
    "not a zip": "not a zip archive",
    "no manifest": "has no manifest.json",
    "malformed manifest": "manifest.json is malformed",
    "changed member": "does not match its hash",
    "future format": "newer than this panel_desk reads",
    "unknown key": "not the one enrolled for them",
    "another signer": "it must be signed by",
    "another round": "was issued to",
    "unassigned submission": "did not assign",
    "unknown packet": "never issued",
}


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_return_is_refused_naming_the_file_and_changes_nothing(world: World, kind: str):
    laptop = world.laptop()
    world.score(laptop, world.fresh(laptop)[0].assignment_id)
    good = world.export_return(laptop)
    laptop.close()
    bad = BAD[kind](world, good, world.folder / f"{kind}.pdreturn")
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput) as refused:
        _import(world, bad)

    assert refused.value.source == str(bad)
    assert PROBLEMS[kind] in str(refused.value)
    assert fingerprint(world.hub_path) == before


def test_a_return_replayed_after_a_newer_one_is_refused(world: World):
    laptop = world.laptop()
    first, second = world.fresh(laptop)[:2]
    world.score(laptop, first.assignment_id, submit=False, tag="OLD ")
    older = world.export_return(laptop, "older")
    world.score(laptop, first.assignment_id, submit=False, tag="NEW ")
    world.score(laptop, second.assignment_id)
    newer = world.export_return(laptop, "newer")
    laptop.close()
    _import(world, older)
    _import(world, newer)
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput, match="replayed after a newer one") as refused:
        _import(world, older)

    assert refused.value.source == str(older)
    assert fingerprint(world.hub_path) == before


def test_a_return_that_arrives_after_a_newer_one_is_refused(world: World):
    laptop = world.laptop()
    chosen = world.fresh(laptop)[0]
    world.score(laptop, chosen.assignment_id, submit=False, tag="OLD ")
    older = world.export_return(laptop, "older")
    world.score(laptop, chosen.assignment_id, submit=False, tag="NEW ")
    newer = world.export_return(laptop, "newer")
    laptop.close()
    _import(world, newer)
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput, match="older return"):
        _import(world, older)

    assert fingerprint(world.hub_path) == before


def test_a_copy_of_the_packet_alone_cannot_forge_a_return(world: World):
    """Whoever holds only the packet (with the reviewer's certificate in it) has no key
    the hub enrolled: a return they sign as the reviewer is refused."""
    packet = world.export_packet()
    laptop = world.laptop(packet)
    world.score(laptop, world.fresh(laptop)[0].assignment_id)
    genuine = world.export_return(laptop)
    laptop.close()
    keys.create_personal_key(world.reviewer, replace=True)  # the forger's own key, same name
    forged = _resigned(genuine, world.folder / "forged.pdreturn", _own_key(world))
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput, match="not the one enrolled"):
        _import(world, forged)

    assert fingerprint(world.hub_path) == before


def test_a_review_of_an_assignment_withdrawn_since_says_to_send_a_new_packet(world: World):
    laptop = world.laptop()
    chosen = world.fresh(laptop)[0]
    world.score(laptop, chosen.assignment_id)
    stale = world.export_return(laptop, "stale")
    world.hub.run(
        assignment_changes.withdraw_reviewer,
        ROUND,
        chosen.submission_ref,
        world.reviewer,
        world.secretariat,
    )
    before = fingerprint(world.hub_path)

    with pytest.raises(BadInput, match="send them a new packet"):
        _import(world, stale)

    assert fingerprint(world.hub_path) == before
    laptop.run(packet_import.import_packet, world.export_packet(name="newer"))
    assert chosen.submission_ref not in {i.submission_ref for i in world.assignments(laptop)}
    fresh = world.export_return(laptop, "fresh")
    laptop.close()
    assert chosen.submission_ref not in _import(world, fresh).unchanged
