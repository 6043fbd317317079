"""`divergence`, `moderate`, `outcome`, `blockers`, `rank`, `cutline`, `threshold`: the
contract (one JSON document, exit codes, one-line errors, nothing changed on bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from panel_desk.services import roster
from panel_desk.services.database import Database
from tests.dbstate import fingerprint
from tests.services.moderation_world import CHAIR, SECRETARIAT, World, build_world

ROUND = "GW-2026-01"


@pytest.fixture
def chair(demo_db: Database) -> str:
    return next(p.email for p in demo_db.read(roster.list_people) if "moderator" in p.roles)


def _json(run_cli, *args) -> dict:
    code, out, err = run_cli(*args)
    assert (code, err) == (0, ""), err
    return json.loads(out)


def test_divergence_json_lists_every_divergent_item_with_the_reviewers_values(
    run_cli, demo_path: Path
) -> None:
    data = _json(run_cli, "divergence", "--round", ROUND, "--json", "--db", demo_path)

    assert data["round"] == ROUND and data["divergent_items"] == len(data["items"]) > 0
    item = data["items"][0]
    assert {"submission", "item", "label", "kind", "values", "resolved"} <= set(item)
    assert all(v["reviewer"].startswith("R") and "email" not in v for v in item["values"])
    assert len({v["value"] for v in item["values"]}) > 1
    numeric = next(i for i in data["items"] if i["kind"] == "numeric")
    assert numeric["spread"] >= numeric["threshold"]

    code, text, _ = run_cli("divergence", "--round", ROUND, "--db", demo_path)
    assert code == 0 and f"{data['divergent_items']} divergent items" in text


def test_moderate_records_an_item_and_refuses_bad_input_with_one_line(
    run_cli, demo_path: Path, chair: str
) -> None:
    data = _json(run_cli, "divergence", "--round", ROUND, "--json", "--db", demo_path)
    item = next(i for i in data["items"] if i["kind"] == "numeric" and not i["resolved"])
    base = ["moderate", "--round", ROUND, "--submission", item["submission"]]
    base += ["--criterion", item["item"], "--db", demo_path]

    before = fingerprint(demo_path)
    for extra, problem in [
        (["--value", "9", "--rationale", "x", "--as", chair], "is not on the scale"),
        (["--value", "3", "--rationale", " ", "--as", chair], "rationale is required"),
        (["--value", "3", "--rationale", "x"], "--as"),
        (["--value", "3", "--rationale", "x", "--as", "nobody@x.org"], "not on the roster"),
    ]:
        code, out, err = run_cli(*base, *extra)
        assert (code, out) == (2, ""), err
        assert err.count("\n") == 1 and problem in err and "Traceback" not in err
    assert fingerprint(demo_path) == before

    code, out, err = run_cli(*base, "--value", "3", "--rationale", "Read together", "--as", chair)
    assert (code, err) == (0, "") and "1 moderated item" in out
    after = _json(
        run_cli, "divergence", "--round", ROUND, "--json", "--unresolved", "--db", demo_path
    )
    assert after["divergent_items"] == data["unresolved"] - 1


@pytest.fixture
def world(empty_db: Database) -> World:
    world = build_world(empty_db)
    world.proposal("SPLIT", {1: (5, 4, 4, 4, 4), 2: (2, 4, 4, 4, 4)})
    world.proposal("CALM", {1: (4, 4, 4, 4, 4), 2: (4, 4, 4, 4, 4)})
    return world


def test_blockers_fail_until_every_divergent_item_is_moderated(run_cli, world: World) -> None:
    db = world.db.path
    code, out, err = run_cli("blockers", "--round", world.round_ref, "--json", "--db", db)
    assert code == 1 and "1 divergent item without a moderated value" in err
    data = json.loads(out)
    assert data["ready"] is False
    assert [(b["submission"], b["item"]) for b in data["blockers"]] == [
        ("SPLIT", "priority_of_need")
    ]

    code, _, err = run_cli(
        "moderate", "--round", world.round_ref, "--submission", "SPLIT",
        "--criterion", "priority_of_need", "--value", "4", "--rationale", "Agreed", "--as", CHAIR,
        "--db", db,
    )  # fmt: skip
    assert (code, err) == (0, "")
    code, out, err = run_cli("blockers", "--round", world.round_ref, "--db", db)
    assert (code, err) == (0, "") and "ready for sign-off" in out


def test_outcome_records_the_feedback(run_cli, world: World) -> None:
    args = ["outcome", "--round", world.round_ref, "--submission", "CALM", "--db", world.db.path]
    code, _, err = run_cli(*args, "--feedback", "", "--as", CHAIR)
    assert code == 2 and "feedback text" in err
    code, out, err = run_cli(*args, "--feedback", "A clear national need.", "--as", CHAIR)
    assert (code, err) == (0, "") and "prioritise for supported development" in out


def test_threshold_overrides_for_the_round(run_cli, world: World) -> None:
    db = world.db.path
    code, out, err = run_cli(
        "threshold", "--round", world.round_ref, "--value", "4", "--as", CHAIR, "--db", db
    )
    assert (code, err) == (0, "") and "set to 4" in out
    data = _json(run_cli, "divergence", "--round", world.round_ref, "--json", "--db", db)
    assert data["divergent_items"] == 0  # the spread of 3 is now below the threshold
    code, _, err = run_cli("threshold", "--round", world.round_ref, "--as", CHAIR, "--db", db)
    assert code == 2 and "--value X or --clear" in err


def test_rank_json_csv_and_the_cut_line(run_cli, demo_path: Path, chair: str, tmp_path) -> None:
    csv_path = tmp_path / "ranking.csv"
    data = _json(run_cli, "rank", "--round", ROUND, "--json", "--csv", csv_path, "--db", demo_path)
    assert data["ranked"] and data["cutline"]["basis"] == "places"
    positions = [r["position"] for r in data["ranked"]]
    assert positions == list(range(1, len(positions) + 1))
    assert csv_path.read_text(encoding="utf-8-sig").startswith(f"# Ranking of {ROUND}")

    code, _, err = run_cli("rank", "--round", "EN-2026-02", "--db", demo_path)
    assert code == 2 and "not a competitive round" in err

    move = ["cutline", "--round", ROUND, "--places", "1", "--db", demo_path]
    code, _, err = run_cli(*move, "--rationale", "Only one place is funded", "--as", SECRETARIAT)
    assert code == 2
    code, out, err = run_cli(*move, "--rationale", "Only one place is funded", "--as", chair)
    assert (code, err) == (0, "") and "1 of" in out and "Only one place is funded" in out
    moved = _json(run_cli, "rank", "--round", ROUND, "--json", "--db", demo_path)
    assert moved["cutline"]["moved"] and moved["cutline"]["places"] == 1
    assert sum(1 for r in moved["ranked"] if r["side"] == "above") == 1


def test_rank_prints_the_cut_line_in_the_table(run_cli, demo_path: Path) -> None:
    code, out, err = run_cli("rank", "--round", ROUND, "--db", demo_path)
    assert (code, err) == (0, "")
    assert "cut-line" in out and "change side of the cut-line" in out
