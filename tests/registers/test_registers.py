"""The registers come from signed-off decisions only: an appeal that reopens a decision
takes its entries off until the EAG signs again; lineage stands through it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from panel_desk.services import (
    appeals,
    demo,
    demo_registers,
    lineage,
    lineage_views,
    registers,
    roster,
    signoff,
)
from panel_desk.services.database import Database, open_database
from tests.registers.conftest import CONDITIONAL_PROVIDER, CREDENTIAL, OTHER_CREDENTIAL, PROVIDER

SECRETARIAT_ROLE = "secretariat"


def _people(db: Database, role: str) -> list[str]:
    return [p.email for p in db.read(roster.list_people) if role in p.roles]


def _sign_again(db: Database, round_ref: str) -> None:
    for email in _people(db, "eag"):
        done = db.run(signoff.sign_off, round_ref, email)
        if done.status.complete:
            return
    raise AssertionError(f"{round_ref} not signed off again")


def _reopen(db: Database, reference: str, outcome: str | None = None) -> None:
    round_ref, ref = reference.split("/")
    clerk = _people(db, SECRETARIAT_ROLE)[0]
    made = db.run(
        appeals.lodge_appeal, round_ref, ref, "The panel missed a document.", "Lead", clerk
    )
    db.run(appeals.decide_appeal, made.id, "upheld", "It was missed.", clerk, outcome=outcome)


def test_the_demo_registers_list_what_was_signed_off(chain_db: Database) -> None:
    built = chain_db.read(registers.build_registers)
    listed = {c.reference: c for c in built.listed_credentials()}
    assert set(listed) == {CREDENTIAL, OTHER_CREDENTIAL}, "EN-2026-02 is not signed off"
    entry = listed[CREDENTIAL]
    assert entry.proposal.startswith("GW-2025-02/")
    assert entry.review_due == registers.add_years(entry.endorsed_on, 5)
    assert listed[OTHER_CREDENTIAL].conditions, "endorsed with conditions"
    approvals = {a.provider: a for a in built.listed_approvals()}
    assert set(approvals) == {PROVIDER, CONDITIONAL_PROVIDER}, "the third was not approved"
    assert approvals[CONDITIONAL_PROVIDER].conditions and not approvals[PROVIDER].conditions
    assert approvals[PROVIDER].renewal_due == registers.add_years(
        approvals[PROVIDER].approved_on, 3
    )
    assert built.notes == ()


def test_an_upheld_appeal_takes_entries_off_until_signed_again_and_lineage_stands(
    chain_db: Database,
) -> None:
    before = chain_db.read(registers.build_registers)
    focus = chain_db.read(lineage.find_submission, "PA-2026-01/PA26-01", "x").id
    chain_before = chain_db.read(lineage_views.chain_for, focus)

    _reopen(chain_db, CREDENTIAL)  # reconsidered as it is: a new version, sign-off void

    during = chain_db.read(registers.build_registers)
    assert during.listed_credentials() == [] and during.listed_approvals() == []
    assert any("not an endorsed credential" in note for note in during.notes)
    chain = chain_db.read(lineage_views.chain_for, focus)
    assert [s.id for s in chain.steps] == [s.id for s in chain_before.steps], "links stand"
    credential = next(s for s in chain.steps if s.reference == CREDENTIAL)
    assert not credential.signed_off and "awaiting sign-off" in credential.standing
    assert credential.version == 2

    _sign_again(chain_db, "EN-2026-01")

    after = chain_db.read(registers.build_registers)
    assert [c.reference for c in after.listed_credentials()] == [
        c.reference for c in before.listed_credentials()
    ]
    other = after.credential(before.credential(chain_before.credential.id).id)
    assert other is not None
    unchanged = {c.reference: c.endorsed_on for c in after.credentials}
    assert (
        unchanged[OTHER_CREDENTIAL]
        == before.credential(
            next(c.id for c in before.credentials if c.reference == OTHER_CREDENTIAL)
        ).endorsed_on
    ), "an appeal on another decision does not move its date"
    assert len(after.listed_approvals()) == 2
    chain = chain_db.read(lineage_views.chain_for, focus)
    assert next(s for s in chain.steps if s.reference == CREDENTIAL).signed_off


def test_a_decision_changed_by_appeal_leaves_the_register_when_signed(chain_db: Database) -> None:
    _reopen(chain_db, CREDENTIAL, outcome="do not endorse")
    _sign_again(chain_db, "EN-2026-01")
    built = chain_db.read(registers.build_registers)
    assert [c.reference for c in built.listed_credentials()] == [OTHER_CREDENTIAL]
    assert built.listed_approvals() == [], "their credential is no longer endorsed"


def test_approvals_lapse_when_renewal_falls_due(chain_db: Database) -> None:
    built = chain_db.read(registers.build_registers)
    due = max(a.renewal_due for a in built.approvals)
    later = chain_db.read(registers.build_registers, due + timedelta(days=1))
    assert later.listed_approvals() == []
    assert "lapsed" in later.approvals[0].status(later.as_of)
    early = chain_db.read(registers.build_registers, date(2020, 1, 1))
    assert early.listed_credentials() == []


def test_lineage_refuses_a_link_across_the_wrong_stages(chain_db: Database) -> None:
    import pytest

    from panel_desk.errors import BadInput

    with pytest.raises(BadInput, match="cannot follow"):
        chain_db.run(lineage.link, "PA-2026-01/PA26-01", "EN-2026-01/EN26-02", "x")
    with pytest.raises(BadInput, match="already linked"):
        chain_db.run(lineage.link, OTHER_CREDENTIAL, "PA-2026-01/PA26-01", "x")


def test_a_decision_signed_within_the_second_it_was_made_keeps_its_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signatures are stamped to the second, decisions to the microsecond: a sign-off in
    the same second as the moderation still dates the decision, so an appeal on another
    decision of the round, signed off later, does not move it."""
    meeting = demo_registers.ENDORSEMENT_DECIDED.replace(microsecond=200_000)
    monkeypatch.setattr(demo_registers, "ENDORSEMENT_DECIDED", meeting)
    monkeypatch.setattr(demo_registers, "SIGNED_AFTER", timedelta(0))
    db = open_database(tmp_path / "same-second.sqlite")
    try:
        demo.build_demo(db, signed_round=True)
        before = db.read(registers.build_registers)
        endorsed = {c.reference: c.endorsed_on for c in before.credentials}
        assert endorsed[OTHER_CREDENTIAL] == meeting.date()

        _reopen(db, CREDENTIAL)
        _sign_again(db, "EN-2026-01")

        after = {c.reference: c.endorsed_on for c in db.read(registers.build_registers).credentials}
        assert after[OTHER_CREDENTIAL] == meeting.date(), "the appeal on another moved its date"
    finally:
        db.close()
