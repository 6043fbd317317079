"""Moderation: values on the item's scale, rationales required, who may decide, outcomes
as versions, audit events, and the gate before sign-off."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import moderation_gate, moderation_views
from panel_desk.services.database import Database
from panel_desk.services.moderation import ItemDecision, OutcomeDecision, save_moderation
from panel_desk.services.submission_views import Viewer
from panel_desk.services.vocabulary import Role
from panel_desk.store.models import (
    AuditEvent,
    ConflictFlag,
    ModerationItem,
    Recommendation,
    Stage,
)
from tests.dbstate import fingerprint
from tests.services.moderation_world import (
    CHAIR,
    DO_NOT,
    PRIORITISE,
    REVIEWERS,
    SECOND_CHAIR,
    SECRETARIAT,
    World,
    build_world,
)


@pytest.fixture
def world(empty_db: Database) -> World:
    world = build_world(empty_db)
    world.proposal("SPLIT", {1: (5, 5, 5, 5, 5), 2: (2, 5, 5, 5, 5)}, {2: "not met"}, {2: DO_NOT})
    world.proposal("CALM", {1: (4, 4, 4, 4, 4), 2: (4, 4, 4, 4, 4)})
    return world


def save(world: World, ref: str, *items: tuple[str, str, str], outcome=None, chair=CHAIR):
    decisions = [ItemDecision(*i) for i in items]
    return world.db.run(save_moderation, world.submissions[ref], chair, decisions, outcome)


def events(world: World, action: str) -> list[dict]:
    rows = world.db.read(
        lambda s: s.scalars(select(AuditEvent.payload).where(AuditEvent.action == action)).all()
    )
    return [json.loads(r) for r in rows]


def test_a_moderated_value_is_recorded_with_its_rationale_and_an_audit_event(world: World) -> None:
    saved = save(world, "SPLIT", ("priority_of_need", "4.0", "R2 misread the workforce data"))

    assert saved.items == ("priority_of_need",)
    stored = world.db.read(lambda s: s.scalars(select(ModerationItem)).one())
    assert (stored.item_key, stored.moderated_value, stored.rationale) == (
        "priority_of_need",
        "4",  # "4.0" is 4 on a whole-number scale
        "R2 misread the workforce data",
    )
    assert stored.chair_id == world.people[CHAIR]
    (event,) = events(world, "moderation.item_recorded")
    assert event["value"] == "4" and event["divergent"] is True and event["previous"] is None

    again = save(world, "SPLIT", ("priority_of_need", "4", "R2 misread the workforce data"))
    assert again.items == () and len(events(world, "moderation.item_recorded")) == 1
    save(world, "SPLIT", ("priority_of_need", "5", "On reflection, the need is national"))
    latest = events(world, "moderation.item_recorded")[-1]
    assert latest["previous"] == {"value": "4", "rationale": "R2 misread the workforce data"}


@pytest.mark.parametrize(
    ("key", "value", "rationale", "problem"),
    [
        ("priority_of_need", "4", "   ", "rationale is required"),
        ("priority_of_need", "6", "why", "whole number from 1 to 5"),
        ("priority_of_need", "0", "why", "whole number from 1 to 5"),
        ("priority_of_need", "3.5", "why", "whole number from 1 to 5"),
        ("priority_of_need", "high", "why", "whole number from 1 to 5"),
        ("need_at_scale", "partly met", "why", "one of met, not met"),
        ("recommendation", "fund it", "why", "one of prioritise"),
        ("no_such_criterion", "4", "why", "not a criterion of this round"),
    ],
)
def test_a_decision_off_the_scale_or_without_a_rationale_is_refused_and_changes_nothing(
    world: World, key: str, value: str, rationale: str, problem: str
) -> None:
    path = world.db
    before = fingerprint(path)
    with pytest.raises(BadInput, match=problem):
        # A good decision alongside: the whole save is refused, not just the bad item.
        save(world, "SPLIT", ("scale_of_need", "5", "fine"), (key, value, rationale))
    assert fingerprint(path) == before


def test_categorical_values_are_matched_whatever_their_case(world: World) -> None:
    save(world, "SPLIT", ("need_at_scale", "MET", "Both reviewers' evidence read together"))
    stored = world.db.read(lambda s: s.scalars(select(ModerationItem.moderated_value)).one())
    assert stored == "met"


def test_only_a_chair_free_of_the_submission_may_moderate(world: World) -> None:
    with pytest.raises(BadInput, match="not on the moderation panel"):
        save(world, "SPLIT", ("scale_of_need", "5", "x"), chair=SECRETARIAT)
    world.assign("SPLIT", SECOND_CHAIR)
    with pytest.raises(BadInput, match="reviewed SPLIT"):
        save(world, "SPLIT", ("scale_of_need", "5", "x"), chair=SECOND_CHAIR)

    def flag(session) -> None:
        session.add(
            ConflictFlag(
                round_id=world.round_id,
                person_id=world.people[CHAIR],
                submission_id=world.submissions["CALM"],
                rule="declared_interest",
                severity="hard",
                evidence={},
                status="open",
            )
        )

    world.db.run(flag)
    with pytest.raises(BadInput, match="conflict of interest"):
        save(world, "CALM", ("scale_of_need", "5", "x"))


def test_the_outcome_follows_the_recommendation_and_is_versioned(world: World) -> None:
    # The reviewers of SPLIT disagree on the recommendation: no outcome until moderated.
    with pytest.raises(BadInput, match="disagree on the overall recommendation"):
        save(world, "SPLIT", outcome=OutcomeDecision("", "Feedback"))
    with pytest.raises(BadInput, match="feedback text"):
        save(world, "CALM", outcome=OutcomeDecision("", "  "))
    with pytest.raises(BadInput, match="carries no conditions"):
        save(world, "CALM", outcome=OutcomeDecision("Do more", "Feedback"))

    first = save(world, "CALM", outcome=OutcomeDecision("", "A strong, national case."))
    assert (first.outcome, first.version) == (PRIORITISE, 1)
    second = save(
        world,
        "CALM",
        ("recommendation", DO_NOT, "Overlaps the frailty credential already funded"),
    )
    assert (second.outcome, second.version) == (DO_NOT, 2)

    versions = world.db.read(
        lambda s: s.execute(
            select(
                Recommendation.version,
                Recommendation.outcome,
                Recommendation.feedback,
                Recommendation.rationale,
                Recommendation.current,
            ).order_by(Recommendation.version)
        ).all()
    )
    assert [tuple(v) for v in versions] == [
        (1, PRIORITISE, "A strong, national case.", "", False),
        (
            2,
            DO_NOT,
            "A strong, national case.",
            "Overlaps the frailty credential already funded",
            True,
        ),
    ]
    assert [e["version"] for e in events(world, "moderation.outcome_recorded")] == [1, 2]


def test_conditions_are_required_where_the_outcome_carries_them(empty_db: Database) -> None:
    world = build_world(empty_db, Stage.ENDORSEMENT)
    world.submission("EN")
    world.review("EN", 1, {"specific_capabilities": "met"}, "endorse with conditions")
    world.review("EN", 2, {"specific_capabilities": "met"}, "endorse with conditions")
    with pytest.raises(BadInput, match="needs its conditions"):
        world.db.run(save_moderation, world.submissions["EN"], CHAIR, (), OutcomeDecision("", "F"))
    saved = world.db.run(
        save_moderation,
        world.submissions["EN"],
        CHAIR,
        (),
        OutcomeDecision("Map assessment to every capability", "Well developed."),
    )
    assert saved.outcome == "endorse with conditions"


def test_the_gate_lists_every_divergent_item_until_each_has_a_value_and_rationale(
    world: World,
) -> None:
    blockers = world.db.read(moderation_gate.blockers, world.round_ref)
    assert all(b.submission_ref == "SPLIT" for b in blockers)
    # Priority of need 5 vs 2, the five gateway criteria, and the recommendation.
    assert len(blockers) == 7
    assert {"priority_of_need", "need_at_scale", "recommendation"} <= {b.item_key for b in blockers}
    with pytest.raises(BadInput, match="7 divergent items still need"):
        world.db.read(moderation_gate.require_moderation_complete, world.round_ref)

    values = {"priority_of_need": "4", "recommendation": PRIORITISE}
    decisions = [
        (b.item_key, values.get(b.item_key, "met"), "Agreed at the panel meeting") for b in blockers
    ]
    save(world, "SPLIT", *decisions[:-1])
    remaining = world.db.read(moderation_gate.blockers, world.round_ref)
    assert [b.item_key for b in remaining] == [decisions[-1][0]]
    save(world, "SPLIT", decisions[-1])
    assert world.db.read(moderation_gate.blockers, world.round_ref) == []
    world.db.read(moderation_gate.require_moderation_complete, world.round_ref)


def test_the_list_puts_the_most_divergent_first_and_counts_what_is_left(world: World) -> None:
    rows = world.db.read(moderation_views.moderation_list, world.round_id)
    assert [(r.ref, r.divergent, r.unresolved, r.needs_moderation) for r in rows] == [
        ("SPLIT", 7, 7, True),
        ("CALM", 0, 0, False),
    ]
    assert rows[0].widest == 3.0 and rows[0].ratio == 1.5
    save(world, "SPLIT", ("priority_of_need", "4", "Agreed"))
    assert world.db.read(moderation_views.moderation_list, world.round_id)[0].unresolved == 6


def test_the_matrix_shows_every_reviewer_and_who_may_decide(world: World) -> None:
    world.assign("SPLIT", REVIEWERS[2])  # R3 has not reviewed yet
    chair = Viewer(CHAIR, Role.MODERATOR)
    matrix = world.db.read(
        moderation_views.submission_moderation, world.submissions["SPLIT"], chair
    )

    assert [(r.label, r.state, r.name) for r in matrix.reviewers] == [
        ("R1", "submitted", ""),
        ("R2", "submitted", ""),
        ("R3", "none", ""),
    ]
    priority = next(r for r in matrix.rows if r.key == "priority_of_need")
    assert [c.value if c else None for c in priority.cells] == ["5", "2", None]
    assert (priority.spread, priority.divergent, priority.needs_moderation) == (3.0, True, True)
    assert matrix.may_moderate and matrix.unanimous is None

    secretariat = Viewer(SECRETARIAT, Role.SECRETARIAT)
    read_only = world.db.read(
        moderation_views.submission_moderation, world.submissions["SPLIT"], secretariat, True
    )
    assert not read_only.may_moderate and read_only.reviewers[0].email == REVIEWERS[0]
    with pytest.raises(BadInput, match="do not see each other's scores"):
        world.db.read(
            moderation_views.submission_moderation,
            world.submissions["SPLIT"],
            Viewer(REVIEWERS[0], Role.REVIEWER),
        )
