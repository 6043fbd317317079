"""A periodic review's packet carries the providers' annual returns it opens with (packet
format 2), and nothing else of any other submission; a packet of another stage carries
none; a packet from a hub before format 2 still opens; and a packet of another stage that
lists returns is refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import annual_returns, assignment_changes, roster
from panel_desk.services.exchange import packet_content, packet_import, packet_returns, packets
from panel_desk.store.models import Round, Submission
from tests.crypto.support import MemoryKeyring, keys_kept_apart
from tests.dbstate import fingerprint
from tests.exchange_world import ROUND, World, manifest_of, members_of
from tests.registers.conftest import CONDITIONAL_PROVIDER, CREDENTIAL, PROVIDER
from tests.services.test_packets import _hub_signer, _resigned

REVIEW = "PR-2026-01"


@pytest.fixture(autouse=True)
def ring(
    signed_demo_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[MemoryKeyring]:
    """The signed demo is built first, so its keys go to the session's keyring."""
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


@pytest.fixture
def world(signed_demo_path: Path, tmp_path: Path) -> Iterator[World]:
    made = World(signed_demo_path, tmp_path)
    yield made
    made.close()


def _review_ref(world: World) -> str:
    return world.hub.read(
        lambda s: s.scalar(select(Submission.ref).join(Round).where(Round.ref == REVIEW))
    )


def _assign_to_review(world: World) -> str:
    """The world's reviewer (or another without a conflict, enrolled) on the periodic review."""
    ref = _review_ref(world)
    others = [p.email for p in world.hub.read(roster.list_people) if "reviewer" in p.roles]
    for email in [world.reviewer, *others]:
        try:
            world.hub.run(assignment_changes.assign_reviewer, REVIEW, ref, email, world.secretariat)
        except BadInput:
            continue
        if email != world.reviewer:
            world.reviewer = email
            world.enrol(email)
        return ref
    raise AssertionError("no reviewer of the demo can review its periodic review")


def _review_packet(world: World, name: str = "review") -> Path:
    out = world.folder / f"{name}.pdpacket"
    world.hub.run(packets.export_packet, REVIEW, world.reviewer, out)
    return out


def test_a_periodic_review_packet_carries_the_providers_returns_and_nothing_else(world: World):
    ref = _assign_to_review(world)
    other = world.folder / "other-return.csv"
    other.write_text(
        f"{','.join(annual_returns.COLUMNS)}\n{CREDENTIAL},2025-26,9,6,1,OTHER-PROVIDER-THEMES\n"
    )
    world.hub.run(annual_returns.import_annual_returns, other, CONDITIONAL_PROVIDER, "clerk")
    held = world.hub.read(annual_returns.returns)
    mine = [r for r in held if r.provider == PROVIDER]
    assert mine and any(r.provider == CONDITIONAL_PROVIDER for r in held), "the demo's returns"
    states = {(r.provider, r.state) for r in world.hub.read(annual_returns.return_status)}
    assert (PROVIDER, "late") in states

    packet = _review_packet(world)

    members = members_of(packet)
    (entry,) = json.loads(members["packet.json"])["submissions"]
    carried = entry[packet_returns.KEY]
    assert manifest_of(packet)["format"] == packet_content.FORMAT == 2
    assert [(r["provider"], r["year"]) for r in carried if r["received_on"]] == [
        (r.provider, r.year) for r in mine
    ]
    assert {r["provider"] for r in carried} == {PROVIDER}, "only the reviewed provider's"
    first = next(r for r in carried if r["received_on"])
    assert (first["take_up"], first["themes"]) == (mine[0].take_up, mine[0].themes)
    assert first["received_on"] > first["due_on"], "the demo's late return, as it stands"
    # Nothing of any other submission: no other provider's return, and no other
    # submission's ref beyond the one its own template field names (its credential).
    own = {field["value"] for field in entry["fields"]}
    assert CREDENTIAL in own
    text = "\n".join(data.decode("utf-8", "replace") for data in members.values())
    for value in own:
        text = text.replace(value, "")
    other_themes = {r.themes for r in held if r.provider != PROVIDER} - {mine[0].themes}
    assert other_themes and not any(t in text for t in other_themes)
    refs = world.hub.read(lambda s: set(s.scalars(select(Submission.ref))))
    for other in refs - {ref}:
        assert not re.search(rf"\b{re.escape(other)}\b", text), f"{other} is in the packet"

    laptop = world.laptop(packet, name="reviewer")
    review_id = laptop.read(lambda s: s.scalar(select(Submission.id).where(Submission.ref == ref)))
    on_laptop = laptop.read(packet_returns.attached_returns, review_id)
    on_hub = world.hub.read(
        lambda s: packet_returns.attached_returns(
            s, s.scalar(select(Submission.id).where(Submission.ref == ref))
        )
    )
    laptop.close()
    assert on_laptop == on_hub and [v.provider for v in on_laptop] == [PROVIDER] * len(on_hub)


def test_a_packet_of_another_stage_carries_no_returns(world: World):
    packet = world.export_packet()  # the demo's endorsement round

    submissions = json.loads(members_of(packet)["packet.json"])["submissions"]

    assert submissions and all(s[packet_returns.KEY] == [] for s in submissions)


def test_a_packet_before_format_2_still_opens(world: World):
    old = _resigned(world, world.export_packet(), world.folder / "old.pdpacket", _hub_signer(world))
    assert manifest_of(old)["format"] == 1

    laptop = world.reviewer_db()
    done = laptop.run(packet_import.import_packet, old)
    laptop.close()

    assert done.round_ref == ROUND and done.submissions


def test_returns_listed_outside_a_periodic_review_are_refused_and_change_nothing(world: World):
    ref = _assign_to_review(world)
    carried = json.loads(members_of(_review_packet(world))["packet.json"])["submissions"][0][
        packet_returns.KEY
    ]
    packet = world.export_packet()
    members = {
        n: d for n, d in members_of(packet).items() if n not in ("manifest.json", "manifest.sig")
    }
    data = json.loads(members["packet.json"])
    data["submissions"][0][packet_returns.KEY] = carried
    members["packet.json"] = json.dumps(data).encode()
    forged = world.folder / "forged.pdpacket"
    from panel_desk.services import keys
    from panel_desk.services.exchange import container

    manifest = manifest_of(packet)
    header = {k: v for k, v in manifest.items() if k not in ("format", "kind", "members")}
    container.write_container(
        forged, "packet", 2, header, members, keys.manifest_signer(_hub_signer(world))
    )
    laptop = world.reviewer_db()
    laptop.close()
    before = fingerprint(world.folder / "laptop.sqlite")
    laptop = world.reviewer_db()

    with pytest.raises(BadInput, match="travel only with a periodic review") as refused:
        laptop.run(packet_import.import_packet, forged)
    laptop.close()

    assert refused.value.source == str(forged) and carried and ref
    assert fingerprint(world.folder / "laptop.sqlite") == before
