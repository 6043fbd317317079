"""Ranking: who is ranked (gateway), moderated weighted scores, explicit tie-breaks, the
cut-line and who may move it, the alternative methods, the sensitivity view, the CSV."""

from __future__ import annotations

import csv
import io
import json
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import ranking, ranking_export, ranking_methods
from panel_desk.services.database import Database
from panel_desk.services.moderation import ItemDecision, save_moderation
from panel_desk.store.models import AuditEvent, Round, Stage, TemplateField
from tests.services.moderation_world import CHAIR, SECRETARIAT, World, build_world


@pytest.fixture
def world(empty_db: Database) -> World:
    return build_world(empty_db, places=2)


def rank(world: World) -> ranking.Ranking:
    return world.db.read(ranking.rank_round, world.round_ref)


def refs(result: ranking.Ranking) -> list[str]:
    return [r.ref for r in result.ranked]


def test_only_submissions_passing_every_gateway_criterion_are_ranked(world: World) -> None:
    world.proposal("MET", {1: (3, 3, 3, 3, 3), 2: (3, 3, 3, 3, 3)})
    world.proposal("NOT", {1: (5, 5, 5, 5, 5), 2: (5, 5, 5, 5, 5)}, {1: "not met", 2: "not met"})
    world.proposal("SPLIT", {1: (5, 5, 5, 5, 5), 2: (5, 5, 5, 5, 5)}, {2: "not met"})
    world.proposal("SAVED", {1: (2, 2, 2, 2, 2), 2: (2, 2, 2, 2, 2)}, {2: "not met"})
    keys = ranking_gateway_keys()
    world.db.run(
        save_moderation,
        world.submissions["SAVED"],
        CHAIR,
        [ItemDecision(k, "met", "R2 overlooked the appendix") for k in keys],
    )

    result = rank(world)

    assert refs(result) == ["MET", "SAVED"]
    statuses = {n.ref: n.status for n in result.not_ranked}
    assert statuses == {"NOT": ranking.GATEWAY_NOT_MET, "SPLIT": ranking.GATEWAY_UNDECIDED}
    world.db.run(
        save_moderation,
        world.submissions["SPLIT"],
        CHAIR,
        [ItemDecision(k, "not met", "The need is local, not national") for k in keys],
    )
    assert {n.ref: n.status for n in rank(world).not_ranked}["SPLIT"] == ranking.GATEWAY_NOT_MET


def ranking_gateway_keys() -> tuple[str, ...]:
    from tests.services.moderation_world import GATEWAY

    return GATEWAY


def test_the_score_is_the_weighted_mean_of_moderated_values_else_reviewers_means(
    world: World,
) -> None:
    # Weights 0.25, 0.2, 0.2, 0.2, 0.15.
    world.proposal("A", {1: (5, 4, 3, 2, 1), 2: (3, 4, 3, 2, 1)})
    world.db.run(
        save_moderation,
        world.submissions["A"],
        CHAIR,
        [ItemDecision("inclusive_target_group", "5", "Both professions are in scope")],
    )

    (a,) = rank(world).ranked

    assert a.criterion_scores == (4.0, 4.0, 3.0, 2.0, 5.0)
    assert a.moderated == (False, False, False, False, True)
    assert a.score == pytest.approx(0.25 * 4 + 0.2 * 4 + 0.2 * 3 + 0.2 * 2 + 0.15 * 5)
    assert a.reviews == 2 and a.spread == pytest.approx(0.4)  # spreads 2,0,0,0,0


def test_ties_are_broken_by_the_documented_rules_in_order(world: World) -> None:
    # Same weighted score 3.0; B is higher on the heaviest criterion (priority of need).
    world.proposal("A", {1: (2, 3, 3, 4, 3), 2: (2, 3, 3, 4, 3)})
    world.proposal("B", {1: (4, 3, 3, 2, 3), 2: (4, 3, 3, 2, 3)})
    # C and D: identical means everywhere; D's reviewers agree more (spread 0 vs 2).
    world.proposal("C", {1: (1, 1, 1, 1, 1), 2: (3, 1, 1, 1, 1)})
    world.proposal("D", {1: (2, 1, 1, 1, 1), 2: (2, 1, 1, 1, 1)})
    # E and F: identical in every respect: a true tie, listed by reference.
    world.proposal("F", {1: (1, 1, 1, 1, 1)})
    world.proposal("E", {1: (1, 1, 1, 1, 1)})

    result = rank(world)

    assert refs(result) == ["B", "A", "D", "C", "E", "F"]
    assert [(r.rank, r.tied) for r in result.ranked] == [
        (1, False),
        (2, False),
        (3, False),
        (4, False),
        (5, True),
        (5, True),
    ]
    assert result.tie_breaks == ranking.TIE_BREAKS and not result.tie_at_line


def test_a_tie_straddling_the_cut_line_is_reported(world: World) -> None:
    world.proposal("A", {1: (5, 5, 5, 5, 5)})
    world.proposal("B", {1: (3, 3, 3, 3, 3)})
    world.proposal("C", {1: (3, 3, 3, 3, 3)})

    result = rank(world)  # two places: A, then B and C tied for the second

    assert [r.above for r in result.ranked] == [True, True, False]
    assert result.tie_at_line


def test_the_cut_line_comes_from_the_places_and_only_the_chair_moves_it_with_a_reason(
    world: World,
) -> None:
    for n, score in enumerate((5, 4, 3, 2)):
        world.proposal(f"P{n}", {1: (score,) * 5})
    assert [r.above for r in rank(world).ranked] == [True, True, False, False]

    with pytest.raises(BadInput, match="needs a rationale"):
        world.db.run(ranking.move_cutline, world.round_ref, 3, "  ", CHAIR)
    with pytest.raises(BadInput, match="only the chair"):
        world.db.run(ranking.move_cutline, world.round_ref, 3, "why", SECRETARIAT)
    moved = world.db.run(
        ranking.move_cutline, world.round_ref, 3, "A third place was funded", CHAIR
    )
    assert moved.cutline.places == 3 and moved.cutline.moved and moved.cutline.official == 2
    assert moved.cutline.rationale == "A third place was funded"
    assert [r.above for r in rank(world).ranked] == [True, True, True, False]

    world.db.run(
        ranking.move_cutline, world.round_ref, None, "The extra funding fell through", CHAIR
    )
    line = rank(world).cutline
    assert (line.places, line.moved) == (2, False)
    actions = world.db.read(
        lambda s: s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("ranking.%"))
        ).all()
    )
    assert actions == ["ranking.cutline_moved", "ranking.cutline_reset"]


def test_a_budget_draws_the_line_where_the_requested_support_runs_out(
    empty_db: Database,
) -> None:
    world = build_world(empty_db, places=None)
    for n, (score, cost) in enumerate(((5, "40000"), (4, "£30,000"), (3, "50000"))):
        world.proposal(f"P{n}", {1: (score,) * 5})

        def add_cost(session, sid=world.submissions[f"P{n}"], cost=cost) -> None:
            session.add(TemplateField(submission_id=sid, key="support_requested", value=cost))

        world.db.run(add_cost)

    def set_budget(session) -> None:
        session.scalar(select(Round)).budget = Decimal("100000")

    world.db.run(set_budget)
    result = rank(world)
    assert (result.cutline.places, result.cutline.basis) == (2, "budget")
    assert [r.cost for r in result.ranked] == [Decimal(40000), Decimal(30000), Decimal(50000)]


def test_no_places_and_no_budget_means_no_line(empty_db: Database) -> None:
    world = build_world(empty_db, places=None)
    world.proposal("A", {1: (5,) * 5})
    result = rank(world)
    assert result.cutline.places is None and "neither places nor a budget" in result.cutline.note
    assert result.ranked[0].above is None and not result.ranked[0].changes_side


def test_a_round_that_is_not_competitive_is_not_ranked(empty_db: Database) -> None:
    world = build_world(empty_db, Stage.ENDORSEMENT)
    with pytest.raises(BadInput, match="not a competitive round"):
        world.db.read(ranking.rank_round, world.round_ref)


def test_the_sensitivity_view_shows_who_a_lenient_reviewer_put_above_the_line(
    world: World,
) -> None:
    """R1 scores everything high and R2 low; each reviews different proposals. The
    official mean rewards R1's proposals; Borda, comparing each reviewer's proposals only
    with each other, does not."""
    world.proposal("L1", {1: (5, 5, 5, 5, 5)})
    world.proposal("L2", {1: (4, 4, 4, 4, 4)})
    world.proposal("H1", {2: (3, 3, 3, 3, 3)})
    world.proposal("H2", {2: (1, 1, 1, 1, 1)})

    result = rank(world)

    assert refs(result) == ["L1", "L2", "H1", "H2"]
    by_ref = {r.ref: r for r in result.ranked}
    borda = ranking_methods.METHODS.index(ranking_methods.BORDA)
    assert by_ref["H1"].method_positions[borda] == 2  # tied with L1 on Borda, after it
    assert [r.ref for r in result.changes_side] == ["L2", "H1"]
    assert result.robust == {"above": 1, "below": 1, "changes_side": 2}


def test_the_ranking_is_exported_as_json_and_csv(world: World, tmp_path) -> None:
    world.proposal("A", {1: (5,) * 5})
    world.proposal("B", {1: (4,) * 5})
    world.proposal("C", {1: (3,) * 5})
    world.proposal("X", {1: (5,) * 5}, {1: "not met"})
    result = rank(world)

    data = json.loads(json.dumps(ranking_export.ranking_json(result)))
    assert [r["ref"] for r in data["ranked"]] == ["A", "B", "C"]
    assert data["cutline"]["places"] == 2 and data["not_ranked"][0]["status"] == "gateway not met"
    assert set(data["ranked"][0]["methods"]) == {"median", "borda", "schulze"}

    path = tmp_path / "ranking.csv"
    ranking_export.write_ranking_csv(result, path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][0].startswith("# Ranking of GW-T-01")
    assert rows[2][0].startswith("# Tie-breaks: higher weighted score")
    header = rows[3]
    assert header[:5] == ["position", "rank", "ref", "title", "weighted score"]
    body = [r[2] for r in rows[4:]]
    assert body == ["A", "B", "— cut-line —", "C", "X"]
    assert rows[-1][header.index("side")] == "gateway not met"


# --- the methods, on their own ---------------------------------------------------------


def test_median_takes_each_criterion_median_and_moderated_values_win() -> None:
    weights = {"a": 1.0, "b": 1.0}
    points = {"S": {"a": [1.0, 2.0, 5.0], "b": [4.0, 4.0]}}
    assert ranking_methods.median_scores(points, {}, weights) == {"S": 3.0}
    assert ranking_methods.median_scores(points, {"S": {"a": 5.0}}, weights) == {"S": 4.5}


def test_borda_counts_the_share_of_a_ballot_each_item_beats() -> None:
    ballots = [{"A": 5.0, "B": 3.0, "C": 3.0}, {"A": 1.0, "D": 2.0}]
    scores = ranking_methods.borda_scores(ballots, ["A", "B", "C", "D", "E"])
    assert scores == {"A": 0.5, "B": 0.25, "C": 0.25, "D": 1.0, "E": 0.5}


def _schulze_brute_force(items: list[int], d: dict[tuple[int, int], int]) -> dict[int, int]:
    """Schulze's own Floyd–Warshall over the full matrix (winning votes)."""
    p = {
        (a, b): d.get((a, b), 0) if d.get((a, b), 0) > d.get((b, a), 0) else 0
        for a in items
        for b in items
        if a != b
    }
    for i in items:
        for j in items:
            if i == j:
                continue
            for k in items:
                if k not in (i, j):
                    p[(j, k)] = max(p[(j, k)], min(p[(j, i)], p[(i, k)]))
    return {a: sum(1 for b in items if b != a and p[(a, b)] > p[(b, a)]) for a in items}


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=2, max_value=9),
    st.lists(
        st.lists(st.tuples(st.integers(0, 8), st.integers(1, 5)), min_size=2, max_size=5),
        min_size=1,
        max_size=12,
    ),
)
def test_schulze_by_levels_matches_the_full_matrix(size: int, raw: list) -> None:
    items = list(range(size))
    ballots = [{i % size: float(score) for i, score in ballot} for ballot in raw]
    d = ranking_methods.pairwise(ballots)
    assert ranking_methods.schulze_beaten(items, d) == _schulze_brute_force(items, dict(d))


def test_schulze_handles_a_large_sparse_round_quickly() -> None:
    rng = random.Random(5)
    items = list(range(3000))
    ballots = [{i: float(rng.randint(1, 5)) for i in rng.sample(items, 20)} for _ in range(400)]
    beaten = ranking_methods.schulze_beaten(items, ranking_methods.pairwise(ballots))
    assert len(beaten) == 3000 and max(beaten.values()) > 0
