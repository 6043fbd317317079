"""Annotations: a completion counts only with a provider approved for the credential on
that date; every refused row is named with its reason and nothing of a bad file is kept."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from panel_desk.errors import BadInput
from panel_desk.services import annotations, registers
from panel_desk.services.annotations import RowsRefused
from panel_desk.services.database import Database
from tests.dbstate import fingerprint
from tests.registers.conftest import CREDENTIAL, OTHER_CREDENTIAL, PROVIDER, completions_file


def _approved_on(db: Database) -> date:
    built = db.read(registers.build_registers)
    return next(a.approved_on for a in built.approvals if a.provider == PROVIDER)


def _refused(db: Database, path: Path) -> RowsRefused:
    with pytest.raises(RowsRefused) as caught:
        db.run(annotations.import_completions, path, "clerk")
    return caught.value


@pytest.mark.parametrize(
    ("credential", "provider", "when", "reason"),
    [
        ("No Such Credential", PROVIDER, 0, "unknown credential"),
        (CREDENTIAL, "University of Northmoor", 0, "unapproved provider"),
        (OTHER_CREDENTIAL, PROVIDER, 0, "unapproved provider"),
        (CREDENTIAL, "Nowhere University", 0, "unapproved provider"),
        (CREDENTIAL, PROVIDER, -400, "date outside approval"),
    ],
)
def test_each_reason_a_completion_is_refused(
    chain_db: Database, tmp_path: Path, credential: str, provider: str, when: int, reason: str
) -> None:
    day = _approved_on(chain_db) + timedelta(days=when)
    path = completions_file(tmp_path, ("P-9", "Test Person", credential, provider, str(day)))
    refused = _refused(chain_db, path)
    assert [n for n, _ in refused.rows] == [2]
    assert refused.rows[0][1].startswith(reason)
    assert str(path) in str(refused) and "\n" not in str(refused)


def test_a_bad_file_changes_nothing_and_names_every_bad_row(
    chain_db: Database, signed_demo_path: Path, tmp_path: Path
) -> None:
    day = str(_approved_on(chain_db))
    path = completions_file(
        tmp_path,
        ("P-1", "Good Row", CREDENTIAL, PROVIDER, day),
        ("P-2", "Bad Credential", "Nothing", PROVIDER, day),
        ("P-3", "Bad Date", CREDENTIAL, PROVIDER, "24/11/2026"),
        ("P-4", "", CREDENTIAL, PROVIDER, day),
        ("P-1", "Good Row", CREDENTIAL, PROVIDER, day),
    )
    before = fingerprint(signed_demo_path)
    refused = _refused(chain_db, path)
    assert [n for n, _ in refused.rows] == [3, 4, 5, 6]
    assert "not a date" in refused.rows[1][1] and "name is empty" in refused.rows[2][1]
    assert "repeats row 2" in refused.rows[3][1]
    assert fingerprint(signed_demo_path) == before


def test_good_completions_are_annotated_once_and_looked_up(
    chain_db: Database, tmp_path: Path
) -> None:
    day = str(_approved_on(chain_db))
    path = completions_file(tmp_path, ("P-77", "Rhiannon Teal", CREDENTIAL, PROVIDER, day))
    done = chain_db.run(annotations.import_completions, path, "clerk")
    assert (done.added, done.already) == (1, 0)
    again = chain_db.run(annotations.import_completions, path, "clerk")
    assert (again.added, again.already) == (0, 1), "importing again changes nothing"
    [found] = chain_db.read(annotations.practitioner_lookup, "rhiannon")
    assert (found.practitioner_id, found.credential_reference, found.provider) == (
        "P-77",
        CREDENTIAL,
        PROVIDER,
    )
    with pytest.raises(BadInput, match="no annotated completion"):
        chain_db.read(annotations.practitioner_lookup, "P-404")


def test_a_completion_in_the_future_is_refused(chain_db: Database, tmp_path: Path) -> None:
    later = str(date.today() + timedelta(days=3))
    refused = _refused(
        chain_db, completions_file(tmp_path, ("P-5", "Soon", CREDENTIAL, PROVIDER, later))
    )
    assert "in the future" in refused.rows[0][1]
