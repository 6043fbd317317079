"""Annual returns: imported per provider, all or nothing; late and missing shown; a
periodic review opens with its credential's returns attached."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from panel_desk.errors import BadInput
from panel_desk.services import annual_returns, demo_registers, lineage, lineage_views
from panel_desk.services.annotations import RowsRefused
from panel_desk.services.database import Database
from tests.dbstate import fingerprint
from tests.registers.conftest import CONDITIONAL_PROVIDER, CREDENTIAL, OTHER_CREDENTIAL, PROVIDER


def _file(folder: Path, *rows: str) -> Path:
    path = folder / "return.csv"
    path.write_text(
        "credential,year,take_up,progressing,completed,themes\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


def test_refused_rows_each_with_a_reason_and_nothing_kept(
    chain_db: Database, signed_demo_path: Path, tmp_path: Path
) -> None:
    year = annual_returns.year_label(annual_returns.academic_year(date.today()))
    path = _file(
        tmp_path,
        f"{CREDENTIAL},{year},10,8,2,fine",
        f"{OTHER_CREDENTIAL},{year},10,8,2,not approved for it",
        f"{CREDENTIAL},2019-20,10,8,2,before approval",
        f"{CREDENTIAL},{year},10,12,2,more progressing than took it up",
    )
    before = fingerprint(signed_demo_path)
    with pytest.raises(RowsRefused) as caught:
        chain_db.run(annual_returns.import_annual_returns, path, CONDITIONAL_PROVIDER, "clerk")
    reasons = dict(caught.value.rows)
    assert set(reasons) == {3, 4, 5}
    assert reasons[3].startswith("unapproved provider")
    assert "outside the approval" in reasons[4] and "exceeds take_up" in reasons[5]
    assert fingerprint(signed_demo_path) == before
    with pytest.raises(BadInput, match="no organisation"):
        chain_db.run(annual_returns.import_annual_returns, path, "Nowhere", "clerk")


def test_the_demo_shows_a_late_and_a_missing_return(chain_db: Database) -> None:
    received = demo_registers.RETURN_RECEIVED.date()
    year = annual_returns.academic_year(demo_registers.APPROVAL_DECIDED.date())
    status = {
        r.provider: r
        for r in chain_db.read(annual_returns.return_status, date(2026, 11, 24))
        if r.year == year
    }
    assert annual_returns.due_on(year) < received
    assert (status[PROVIDER].state, status[PROVIDER].received_on) == ("late", received)
    assert (status[CONDITIONAL_PROVIDER].state, status[CONDITIONAL_PROVIDER].received_on) == (
        "missing",
        None,
    )


def test_a_correction_and_late_and_missing_returns(chain_db: Database, tmp_path: Path) -> None:
    year = annual_returns.academic_year(demo_registers.APPROVAL_DECIDED.date())
    path = _file(tmp_path, f"{CREDENTIAL},{year},15,12,3,a corrected figure")
    done = chain_db.run(
        annual_returns.import_annual_returns,
        path,
        PROVIDER,
        "clerk",
        received_on=date(2026, 10, 20),
    )
    assert (done.added, done.corrected) == (0, 1)
    due = annual_returns.due_on(year)
    after_due = date(due.year, 12, 1)
    status = {
        r.provider: r
        for r in chain_db.read(annual_returns.return_status, after_due)
        if r.year == year
    }
    assert status[PROVIDER].state == "received", "a correction in time is on time"
    assert status[CONDITIONAL_PROVIDER].state == "missing"
    # The next year's return, owed by both and not sent: missing once it is due.
    next_due = annual_returns.due_on(year + 1)
    later = [
        r
        for r in chain_db.read(annual_returns.return_status, date(next_due.year, 11, 15))
        if r.year == year + 1
    ]
    assert {r.state for r in later} == {"missing"} and len(later) == 2


def test_the_periodic_review_opens_with_the_providers_returns(chain_db: Database) -> None:
    review = chain_db.read(lineage.find_submission, "PR-2026-01/PR26-01", "x")
    attached = chain_db.read(lineage_views.attached_returns, review.id)
    assert [r.provider for r in attached] == [PROVIDER], "the provider's own return"
    proposal = chain_db.read(lineage.find_submission, "GW-2025-02/GW25-03", "x")
    assert chain_db.read(lineage_views.attached_returns, proposal.id) == []
