"""Taking back a decision on a conflict flag (what Edit ▸ Undo and Redo do on the Conflicts
page): a new audited decision restores the state the trail recorded, never an invented one,
and only the person who decided may take it back while the flag is as they left it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import audit, conflict_decisions, conflicts
from panel_desk.services.database import Database
from panel_desk.store.models import AuditEvent, ConflictFlag
from tests.dbstate import fingerprint
from tests.services.coi_world import (
    SECRETARIAT,
    build_flagged,
    colleague_flag,
)

ONE, TWO = SECRETARIAT


@pytest.fixture
def flagged(empty_db: Database, tmp_path: Path) -> Database:
    return build_flagged(empty_db, tmp_path)


_flag = colleague_flag


def _decision(flag: conflicts.FlagView) -> tuple[str, str, str, str]:
    return flag.status, flag.rationale, flag.decided_by, flag.seconded_by


def _actions(db: Database) -> list[str]:
    return list(
        db.read(
            lambda s: s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("conflict.%"))
                .order_by(AuditEvent.seq)
            ).all()
        )
    )


def test_undo_and_redo_of_a_soft_decision_are_new_audited_decisions(flagged: Database) -> None:
    soft = _flag(flagged, "mail_domain")
    open_ = _decision(soft)
    flagged.run(conflict_decisions.decide, soft.id, "manage", "Will not read part 4.", ONE)
    managed = _decision(_flag(flagged, "mail_domain"))

    undone = flagged.run(conflict_decisions.revert, soft.id, ONE)
    assert _decision(undone) == open_ and undone.blocking
    redone = flagged.run(conflict_decisions.revert, soft.id, ONE)
    assert _decision(redone) == managed and not redone.blocking

    assert _actions(flagged)[-3:] == ["conflict.decided", "conflict.reverted", "conflict.reverted"]
    assert flagged.read(audit.verify_chain).intact
    last = flagged.read(
        lambda s: s.scalar(select(AuditEvent.payload).order_by(AuditEvent.seq.desc()).limit(1))
    )
    assert json.loads(last)["after"]["status"] == "managed"


def test_undoing_a_reopening_restores_the_two_person_clearance_it_set_aside(
    flagged: Database,
) -> None:
    hard = _flag(flagged, "affiliation")
    flagged.run(conflict_decisions.decide, hard.id, "clear", "Left in January 2024.", ONE)
    flagged.run(conflict_decisions.second, hard.id, TWO)
    cleared = _decision(_flag(flagged, "affiliation"))
    flagged.run(conflict_decisions.decide, hard.id, "reopen", "Asked to look again.", ONE)

    restored = flagged.run(conflict_decisions.revert, hard.id, ONE)

    assert _decision(restored) == cleared and not restored.blocking
    assert (restored.decided_by, restored.seconded_by) == (ONE, TWO)


def test_undoing_a_second_leaves_the_clearance_awaiting_a_second_person(
    flagged: Database,
) -> None:
    hard = _flag(flagged, "affiliation")
    flagged.run(conflict_decisions.decide, hard.id, "clear", "Left in January 2024.", ONE)
    flagged.run(conflict_decisions.second, hard.id, TWO)

    undone = flagged.run(conflict_decisions.revert, hard.id, TWO)

    assert undone.awaiting_second and undone.blocking and undone.decided_by == ONE


def test_only_the_decider_takes_back_an_unchanged_decision(flagged: Database) -> None:
    soft = _flag(flagged, "mail_domain")
    with pytest.raises(BadInput, match="no decision on record"):
        flagged.run(conflict_decisions.revert, soft.id, ONE)
    flagged.run(conflict_decisions.decide, soft.id, "clear", "No tie.", ONE)
    before = fingerprint(flagged)
    with pytest.raises(BadInput, match="only they take it back"):
        flagged.run(conflict_decisions.revert, soft.id, TWO)
    assert fingerprint(flagged) == before

    flagged.run(conflict_decisions.decide, soft.id, "manage", "Part 4 only.", TWO)
    with pytest.raises(BadInput, match="only they take it back"):
        flagged.run(conflict_decisions.revert, soft.id, ONE)
    # the flag changed behind the decision's back (here, by hand): refused, nothing written
    flagged.run(lambda s: setattr(s.get(ConflictFlag, soft.id), "rationale", "X"))
    before = fingerprint(flagged)
    with pytest.raises(BadInput, match="has changed since"):
        flagged.run(conflict_decisions.revert, soft.id, TWO)
    assert fingerprint(flagged) == before
