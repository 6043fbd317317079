"""Mutated packets and returns (zip members changed, dropped, doubled; `..`, absolute and
link members; bombs; damaged bytes) fed to `packet import` and `return import`: never a
traceback, always exit 2 with a message and nothing changed, or a clean import."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel_desk.services.backup import snapshot
from panel_desk.services.database import open_database
from tests.conftest import copy_database
from tests.crypto.support import keys_kept_apart
from tests.exchange_world import World
from tests.figures import report
from tests.hostile.harness import EXAMPLES, HOSTILE, Tally, check_import, fresh_copy, zip_mutations

TALLIES = {name: Tally(name) for name in ("returns", "packets")}
FEWER = settings(HOSTILE, max_examples=max(10, EXAMPLES * 4 // 10))  # each one verifies signatures


@pytest.fixture(scope="module")
def exchange(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A hub with its authority and an enrolled reviewer, a real packet and a real return,
    and clean copies of the hub and of an empty reviewer's database to import into."""
    folder = tmp_path_factory.mktemp("exchange")
    with pytest.MonkeyPatch.context() as patch, keys_kept_apart(patch, folder):
        world = World(copy_database(demo_template, folder / "hub.sqlite"), folder)
        packet = world.export_packet()
        laptop = world.laptop(packet)
        world.score(laptop, world.fresh(laptop)[0].assignment_id)
        sent = world.export_return(laptop)
        laptop.close()
        hub = folder / "hub-template.sqlite"
        snapshot(world.hub_path, hub)
        shutil.copytree(folder / "hub.sqlite.blobs", folder / "hub-template.sqlite.blobs")
        empty = folder / "empty.sqlite"
        open_database(empty).close()
        yield {
            "hub": hub,
            "empty": empty,
            "secretariat": world.secretariat,
            "packet": packet.read_bytes(),
            "return": sent.read_bytes(),
        }
        world.close()
    for tally in TALLIES.values():
        if tally.tried:
            report(str(tally))


def _example(tmp_path: Path, template: Path, data: bytes, name: str) -> tuple[Path, Path]:
    folder = tmp_path / "example"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    return path, fresh_copy(template, folder / "db")


def test_the_seeds_are_accepted(exchange, run_cli, tmp_path: Path) -> None:
    """Mutations start from files that import cleanly, or they would prove little."""
    path, db = _example(tmp_path, exchange["hub"], exchange["return"], "r.pdreturn")
    argv = ["return", "import", path, "--as", exchange["secretariat"], "--db", db]
    assert check_import(run_cli, db, argv) == "accepted"
    path, db = _example(tmp_path, exchange["empty"], exchange["packet"], "p.pdpacket")
    assert check_import(run_cli, db, ["packet", "import", path, "--db", db]) == "accepted"


@FEWER
@given(draw=st.data())
def test_mutated_returns(draw: st.DataObject, exchange, run_cli, tmp_path: Path) -> None:
    data = draw.draw(zip_mutations(exchange["return"]), label="return")
    path, db = _example(tmp_path, exchange["hub"], data, "r.pdreturn")
    argv = ["return", "import", path, "--as", exchange["secretariat"], "--db", db]
    TALLIES["returns"].add(check_import(run_cli, db, argv))


@FEWER
@given(draw=st.data())
def test_mutated_packets(draw: st.DataObject, exchange, run_cli, tmp_path: Path) -> None:
    data = draw.draw(zip_mutations(exchange["packet"]), label="packet")
    path, db = _example(tmp_path, exchange["empty"], data, "p.pdpacket")
    TALLIES["packets"].add(check_import(run_cli, db, ["packet", "import", path, "--db", db]))
