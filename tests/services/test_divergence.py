"""Divergence: the threshold boundary, categorical and recommendation disagreements,
which reviews count, thresholds per round, and the SQL aggregate agreeing with the rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from panel_desk.errors import BadInput
from panel_desk.services import (
    divergence,
    divergence_report,
    moderation_gate,
    moderation_views,
)
from panel_desk.services.criteria import RECOMMENDATION_KEY
from panel_desk.services.database import Database
from panel_desk.services.rounds import list_rounds
from panel_desk.store.models import AuditEvent, Round
from tests.services.moderation_world import DO_NOT, PRIORITISE, World, build_world


@pytest.fixture
def world(empty_db: Database) -> World:
    return build_world(empty_db)


def items(world: World, **kw) -> dict[tuple[str, str], divergence_report.DivergentItem]:
    found = world.db.read(divergence_report.round_divergence, world.round_ref, **kw)
    return {(i.submission_ref, i.item_key): i for i in found.items}


def test_a_spread_exactly_at_the_threshold_diverges_and_one_below_does_not(world: World) -> None:
    world.submission("AT")
    world.review("AT", 1, {"priority_of_need": "3"})
    world.review("AT", 2, {"priority_of_need": "5"})  # spread 2 = threshold 2
    world.submission("BELOW")
    world.review("BELOW", 1, {"priority_of_need": "3"})
    world.review("BELOW", 2, {"priority_of_need": "4"})  # spread 1

    found = items(world)

    item = found[("AT", "priority_of_need")]
    assert (item.kind, item.spread, item.threshold) == ("numeric", 2.0, 2.0)
    assert [(v.reviewer, v.value, v.points) for v in item.values] == [
        ("R1", "3", 3.0),
        ("R2", "5", 5.0),
    ]
    assert item.values[0].comment == "R1 on priority_of_need: 3"
    assert ("BELOW", "priority_of_need") not in found
    assert not item.resolved


def test_a_round_may_lower_or_raise_the_threshold_and_the_most_specific_wins(world: World) -> None:
    world.submission("S")
    world.review("S", 1, {"priority_of_need": "3", "scale_of_need": "3"})
    world.review("S", 2, {"priority_of_need": "4", "scale_of_need": "4"})
    assert items(world) == {}

    world.db.run(divergence.set_threshold, world.round_ref, 1.0, None, "chair@centre.example")
    assert set(items(world)) == {("S", "priority_of_need"), ("S", "scale_of_need")}

    world.db.run(divergence.set_threshold, world.round_ref, 3.0, "scale_of_need", "chair@x")
    assert set(items(world)) == {("S", "priority_of_need")}
    thresholds = {t.criterion_key: t for t in items_report(world).thresholds}
    assert (thresholds["scale_of_need"].value, thresholds["scale_of_need"].source) == (
        3.0,
        "round, this criterion",
    )
    assert thresholds["priority_of_need"].source == "round"

    world.db.run(divergence.set_threshold, world.round_ref, None, "scale_of_need", "chair@x")
    world.db.run(divergence.set_threshold, world.round_ref, None, None, "chair@x")
    assert items(world) == {}
    actions = world.db.read(
        lambda s: s.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "divergence.threshold_set")
        ).all()
    )
    assert len(actions) == 4


def items_report(world: World) -> divergence_report.RoundDivergence:
    return world.db.read(divergence_report.round_divergence, world.round_ref)


def test_thresholds_are_checked(world: World) -> None:
    with pytest.raises(BadInput, match="numeric criterion"):
        world.db.run(divergence.set_threshold, world.round_ref, 1.0, "need_at_scale", "x")
    with pytest.raises(BadInput, match="above 0"):
        world.db.run(divergence.set_threshold, world.round_ref, 0.0, None, "x")


def test_any_disagreement_on_a_categorical_scale_diverges(world: World) -> None:
    world.submission("SPLIT")
    world.review("SPLIT", 1, {"need_at_scale": "met"})
    world.review("SPLIT", 2, {"need_at_scale": "met"})
    world.review("SPLIT", 3, {"need_at_scale": "not met"})
    world.submission("AGREED")
    world.review("AGREED", 1, {"need_at_scale": "not met"})
    world.review("AGREED", 2, {"need_at_scale": "not met"})

    found = items(world)

    item = found[("SPLIT", "need_at_scale")]
    assert (item.kind, item.spread, item.threshold) == ("categorical", None, None)
    assert [v.value for v in item.values] == ["met", "met", "not met"]
    assert ("AGREED", "need_at_scale") not in found


def test_any_disagreement_on_the_overall_recommendation_diverges(world: World) -> None:
    world.submission("SPLIT")
    world.review("SPLIT", 1, {}, PRIORITISE)
    world.review("SPLIT", 2, {}, DO_NOT)
    world.submission("AGREED")
    world.review("AGREED", 1, {}, PRIORITISE)
    world.review("AGREED", 2, {}, PRIORITISE)
    world.review("AGREED", 3, {}, None)  # no recommendation given is not a disagreement

    found = items(world)

    item = found[("SPLIT", "recommendation")]
    assert (item.kind, item.label) == ("recommendation", "Overall recommendation")
    assert [(v.reviewer, v.value) for v in item.values] == [("R1", PRIORITISE), ("R2", DO_NOT)]
    assert not any(ref == "AGREED" for ref, _ in found)


def test_only_the_reviews_that_count_take_part(world: World) -> None:
    """Drafts, withdrawn assignments, older versions and missing scores are left out."""
    world.submission("DRAFT")
    world.review("DRAFT", 1, {"priority_of_need": "1"})
    world.review("DRAFT", 2, {"priority_of_need": "5"}, state="draft")
    world.submission("WITHDRAWN")
    world.review("WITHDRAWN", 1, {"priority_of_need": "1"})
    world.review("WITHDRAWN", 2, {"priority_of_need": "5"}, assignment_state="withdrawn")
    world.submission("CORRECTED")  # version 1 diverged (5 vs 1); version 2 agrees
    world.review("CORRECTED", 1, {"priority_of_need": "1"})
    world.review("CORRECTED", 2, {"priority_of_need": "1"}, versions=2)
    world.submission("REDRAFTED")  # version 1 submitted and divergent, version 2 a draft
    world.review("REDRAFTED", 1, {"priority_of_need": "1"})
    world.review("REDRAFTED", 2, {"priority_of_need": "1"}, versions=2, state="draft")
    world.submission("UNSCORED")  # R2 gave no score on the criterion
    world.review("UNSCORED", 1, {"priority_of_need": "1", "scale_of_need": "2"})
    world.review("UNSCORED", 2, {"scale_of_need": "2"})
    world.submission("ALONE")
    world.review("ALONE", 1, {"priority_of_need": "1", "need_at_scale": "met"}, PRIORITISE)

    assert items(world) == {}


def test_reviewers_keep_their_label_whoever_has_submitted(world: World) -> None:
    world.submission("S")
    world.review("S", 1, {"scale_of_need": "1"})
    world.review("S", 2, {"scale_of_need": "3"}, state="draft")
    world.review("S", 3, {"scale_of_need": "5"})

    item = items(world)[("S", "scale_of_need")]

    assert [v.reviewer for v in item.values] == ["R1", "R3"]
    assert all(v.name == "" and v.email == "" for v in item.values)
    revealed = items(world, reveal=True)[("S", "scale_of_need")]
    assert [v.email for v in revealed.values] == [
        "reviewer1@panel.example",
        "reviewer3@panel.example",
    ]


def test_the_round_aggregate_agrees_with_the_rule_for_every_demo_submission(
    demo_db: Database,
) -> None:
    """The SQL aggregate (the round) and `is_divergent` (one submission's matrix) are two
    statements of one rule: on every demo submission they must find the same items."""
    compared = divergent = 0
    for summary in demo_db.read(list_rounds):
        report = demo_db.read(divergence_report.round_divergence, summary.ref)
        by_sql: dict[int, set[str]] = {}
        for item in report.items:
            by_sql.setdefault(item.submission_id, set()).add(item.item_key)
        for row in demo_db.read(moderation_views.moderation_list, summary.id):
            matrix = demo_db.read(moderation_views.submission_moderation, row.id)
            assert {r.key for r in matrix.divergent} == by_sql.get(row.id, set()), row.ref
            assert row.divergent == len(by_sql.get(row.id, set()))
            compared += 1
            divergent += row.divergent
        gate = {
            (b.submission_ref, b.item_key)
            for b in demo_db.read(moderation_gate.blockers, summary.ref)
        }
        assert gate == {(i.submission_ref, i.item_key) for i in report.items if not i.resolved}
    assert compared > 20 and divergent > 10


def test_the_whole_round_and_one_submission_are_judged_alike(world: World) -> None:
    """A whole round is read from its reviews in stored order with the superseded versions
    listed once; one submission from its assignments with a NOT EXISTS a review. Both must
    find the same items, widest spreads and ratios, through drafts, withdrawals, later
    versions and a threshold the round overrides."""
    world.submission("MIXED")
    world.review("MIXED", 1, {"need_at_scale": "met", "priority_of_need": "2"}, PRIORITISE)
    world.review("MIXED", 2, {"need_at_scale": "not met", "priority_of_need": "5"}, DO_NOT)
    world.review("MIXED", 3, {"priority_of_need": "1"}, DO_NOT, state="draft")
    world.submission("WIDENED")  # older versions of R2 hold other values
    world.review("WIDENED", 1, {"priority_of_need": "1", "scale_of_need": "2"})
    world.review("WIDENED", 2, {"priority_of_need": "4", "scale_of_need": "5"}, versions=3)
    world.submission("CORRECTED")
    world.review("CORRECTED", 1, {"priority_of_need": "1"})
    world.review("CORRECTED", 2, {"priority_of_need": "1"}, versions=2)
    world.submission("REDRAFTED")
    world.review("REDRAFTED", 1, {"priority_of_need": "1"})
    world.review("REDRAFTED", 2, {"priority_of_need": "5"}, versions=2, state="draft")
    world.submission("WITHDRAWN")
    world.review("WITHDRAWN", 1, {"priority_of_need": "1"})
    world.review("WITHDRAWN", 2, {"priority_of_need": "5"}, assignment_state="withdrawn")

    def judged() -> tuple[dict[str, tuple], dict[str, tuple]]:
        def read(session, submission_id=None):
            round_ = session.get_one(Round, world.round_id)
            return divergence.divergence_by_submission(session, round_, submission_id)

        refs = {sid: ref for ref, sid in world.submissions.items()}
        whole = {
            refs[sid]: (set(d.divergent), d.widest, d.ratio)
            for sid, d in world.db.read(read).items()
        }
        each = {}
        for sid, ref in refs.items():
            for found_id, d in world.db.read(read, sid).items():
                assert found_id == sid
                each[ref] = (set(d.divergent), d.widest, d.ratio)
        return whole, each

    whole, each = judged()
    assert (
        whole
        == each
        == {
            "MIXED": ({"need_at_scale", "priority_of_need", RECOMMENDATION_KEY}, 3.0, 1.5),
            "WIDENED": ({"priority_of_need", "scale_of_need"}, 3.0, 1.5),
        }
    )

    world.db.run(divergence.set_threshold, world.round_ref, 3.5, "priority_of_need", "chair@x")
    whole, each = judged()
    assert (
        whole
        == each
        == {
            "MIXED": ({"need_at_scale", RECOMMENDATION_KEY}, 0.0, 0.0),
            "WIDENED": ({"scale_of_need"}, 3.0, 1.5),
        }
    )


def test_a_whole_round_is_read_from_its_reviews_in_stored_order(world: World) -> None:
    """The plan behind the divergence figure: SQLite must walk the reviews in stored order
    and seek each one's scores, not visit the round's assignments first (which jumps about
    the score table and read it several times over on a 20,000-submission round)."""

    def plan(session) -> list[str]:
        round_ = session.get_one(Round, world.round_id)
        query = divergence.divergent_scores(
            round_, {1: 2.0}, with_ids=False, dialect="sqlite", in_order=True
        ).compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
        rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {query}")
        return [row[3] for row in rows]

    steps = world.db.read(plan)

    assert steps[0] == "SCAN review", steps
    assert any(s.startswith("SEARCH assignment USING INTEGER PRIMARY KEY") for s in steps)
    assert any(s.startswith("SEARCH score USING INDEX") for s in steps), steps
