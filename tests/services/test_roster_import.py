"""roster.csv: a bad row changes nothing and says where it is; a good file is applied once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from panel_desk.errors import BadInput
from panel_desk.services import audit, roster
from panel_desk.services.database import Database, open_database
from panel_desk.store.models import Affiliation, AuditEvent, DeclaredInterest, Person
from tests.dbstate import fingerprint

HEADER = "email,name,roles,expertise,affiliations,declared_interests"
GOOD = "ann.other@testshire.ac.uk,Ann Other,reviewer,area:frailty,University of Testshire||,"

# (id, file content, row named, column named): each a kind of mistake a secretariat makes.
BAD_ROWS = [
    (
        "missing column",
        "email,name,roles,expertise,affiliations\na@x.org,A,reviewer,,\n",
        1,
        "'declared_interests'",
    ),
    ("bad e-mail", f"{HEADER}\n{GOOD}\nnot-an-address,Bob,reviewer,,,\n", 3, "email"),
    ("empty name", f"{HEADER}\n{GOOD}\nbob@x.org,,reviewer,,,\n", 3, "name"),
    ("unknown role", f"{HEADER}\nbob@x.org,Bob,chair,,,\n", 2, "roles"),
    ("no role", f"{HEADER}\nbob@x.org,Bob,,,,\n", 2, "roles"),
    (
        "bad date",
        f"{HEADER}\n{GOOD}\nbob@x.org,Bob,reviewer,,Org|2021-13-01|,\n",
        3,
        "affiliations",
    ),
    (
        "ends before it starts",
        f"{HEADER}\nbob@x.org,Bob,reviewer,,Org|2021-01-01|2020-12-31,\n",
        2,
        "affiliations",
    ),
    (
        "malformed affiliation",
        f"{HEADER}\nbob@x.org,Bob,reviewer,,Org|2021-01-01||x,\n",
        2,
        "affiliations",
    ),
    (
        "e-mail twice, differently cased",
        f"{HEADER}\nbob@x.org,Bob,reviewer,,,\n{GOOD}\nBOB@X.org,Bobby,reviewer,,,\n",
        4,
        "email",
    ),
    ("extra cells", f"{HEADER}\n{GOOD}\nbob@x.org,Bob,reviewer,,,,surplus\n", 3, "7"),
]


def _import(run_cli, file: Path, db: Path) -> tuple[int, str, str]:
    return run_cli("roster", "import", file, "--db", db)


def _assert_one_line_error(err: str, file: Path, *where: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("panel-desk: ")
    assert file.name in lines[0]
    for part in where:
        assert part in lines[0], f"{part!r} missing from {lines[0]!r}"


# --- bad files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "row", "column"),
    [case[1:] for case in BAD_ROWS],
    ids=[case[0] for case in BAD_ROWS],
)
def test_a_bad_row_is_refused_with_its_place_and_changes_nothing(
    run_cli, demo_path: Path, tmp_path: Path, content: str, row: int, column: str
) -> None:
    file = tmp_path / "roster.csv"
    file.write_text(content, encoding="utf-8")
    before = fingerprint(demo_path)

    code, out, err = _import(run_cli, file, demo_path)

    assert code == 2
    assert out == ""
    _assert_one_line_error(err, file, f"row {row}", f"column {column}")
    assert fingerprint(demo_path) == before


@pytest.mark.parametrize(
    ("content", "row", "column"),
    [case[1:] for case in BAD_ROWS],
    ids=[case[0] for case in BAD_ROWS],
)
def test_the_service_raises_bad_input_at_the_row_and_column(
    demo_path: Path, tmp_path: Path, content: str, row: int, column: str
) -> None:
    file = tmp_path / "roster.csv"
    file.write_text(content, encoding="utf-8")
    before = fingerprint(demo_path)
    db = open_database(demo_path)
    try:
        with pytest.raises(BadInput) as caught:
            db.run(roster.import_roster, file)
    finally:
        db.close()

    assert caught.value.source == str(file)
    assert f"row {row}" in caught.value.where
    assert f"column {column}" in caught.value.where or column in caught.value.problem
    assert fingerprint(demo_path) == before


def test_a_file_that_is_not_utf8_names_the_row_and_column(
    run_cli, demo_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "roster.csv"
    file.write_bytes(f"{HEADER}\n{GOOD}\n\nbjorn@x.org,Bj\xf6rn,reviewer,,,\n".encode("latin-1"))
    before = fingerprint(demo_path)

    code, _, err = _import(run_cli, file, demo_path)

    assert code == 2
    _assert_one_line_error(err, file, "row 4", "column name", "UTF-8")
    assert fingerprint(demo_path) == before


def test_broken_csv_quoting_names_the_row_it_is_on(
    run_cli, demo_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "roster.csv"
    file.write_text(f'{HEADER}\n{GOOD}\nbob@x.org,"Bob "the" Builder",reviewer,,,\n')
    before = fingerprint(demo_path)

    code, _, err = _import(run_cli, file, demo_path)

    assert code == 2
    _assert_one_line_error(err, file, "row 3", "not valid CSV")
    assert fingerprint(demo_path) == before


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda folder: folder / "absent.csv", "no such file"),
        (lambda folder: folder, "is a folder"),
        (lambda folder: _written(folder / "empty.csv", ""), "needs a header"),
        (lambda folder: _written(folder / "header.csv", HEADER + "\n"), "no people"),
    ],
    ids=["missing file", "a folder", "empty file", "header only"],
)
def test_a_file_that_cannot_be_a_roster_is_refused(
    run_cli, demo_path: Path, tmp_path: Path, make, problem: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    file = make(folder)
    before = fingerprint(demo_path)

    code, _, err = _import(run_cli, file, demo_path)

    assert code == 2
    _assert_one_line_error(err, file, problem)
    assert fingerprint(demo_path) == before


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- good files --------------------------------------------------------------------------

ROSTER = [
    ["email", "name", "roles", "expertise", "affiliations", "declared_interests", "phone"],
    [
        "Ann.Other@Testshire.ac.uk",
        "Ann Other",
        "reviewer;moderator",
        "area:frailty;Assessment",
        "University of Testshire|2019-09-01|;Old Trust|2010-01-01|2018-12-31",
        "Testshire Hospice",
        "01234 567890",
    ],
    ["bo.nobody@gmail.com", "Bo Nobody", "eag", "ppi", "", "", ""],
    ["cy.third@trust.nhs.uk", "Cy Third", "secretariat;reviewer", "", "Testshire Trust||", "", ""],
]


def _people(db: Database, emails: list[str]) -> dict[str, dict]:
    """What the roster holds about these people, read in one session."""

    def load(session) -> dict[str, dict]:
        people = session.scalars(
            select(Person)
            .where(Person.email.in_(emails))
            .options(
                selectinload(Person.roles),
                selectinload(Person.expertise),
                selectinload(Person.affiliations).selectinload(Affiliation.organisation),
                selectinload(Person.declared_interests).selectinload(DeclaredInterest.organisation),
            )
        )
        return {
            p.email: {
                **roster._person_canonical(p),
                "roles": {r.role for r in p.roles},
                "affiliations": {
                    (a.organisation.name, a.starts_on, a.ends_on) for a in p.affiliations
                },
                "interests": [i.organisation.name for i in p.declared_interests],
            }
            for p in people
        }

    return db.read(load)


def _count(db: Database, model) -> int:
    return db.read(lambda s: s.scalar(select(func.count()).select_from(model)))


def test_a_good_roster_adds_people_with_everything_they_bring(
    run_cli, demo_path: Path, write_csv
) -> None:
    file = write_csv("roster.csv", *ROSTER)
    db = open_database(demo_path)
    people_before = _count(db, Person)

    code, out, err = _import(run_cli, file, demo_path)

    assert (code, err) == (0, "")
    assert "3 added, 0 updated, 0 unchanged" in out
    assert _count(db, Person) == people_before + 3, "nobody already there is removed"
    people = _people(db, ["ann.other@testshire.ac.uk", "bo.nobody@gmail.com"])
    ann = people["ann.other@testshire.ac.uk"]  # e-mails are kept in lower case
    assert ann["name"] == "Ann Other"
    assert ann["roles"] == {"reviewer", "moderator"}
    assert ann["expertise"] == ["area:frailty", "assessment"]
    assert ann["affiliations"] == {
        ("University of Testshire", date(2019, 9, 1), None),
        ("Old Trust", date(2010, 1, 1), date(2018, 12, 31)),
    }
    assert ann["interests"] == ["Testshire Hospice"]
    assert ann["details"] == {"phone": "01234 567890"}, "unknown columns are kept"
    bo = people["bo.nobody@gmail.com"]
    assert bo["roles"] == {"eag"}
    assert bo["affiliations"] == set() and bo["details"] == {}
    db.close()


def test_importing_the_same_roster_again_changes_nothing(
    run_cli, demo_path: Path, write_csv
) -> None:
    file = write_csv("roster.csv", *ROSTER)
    assert _import(run_cli, file, demo_path)[0] == 0
    before = fingerprint(demo_path)

    code, out, _ = _import(run_cli, file, demo_path)

    assert code == 0
    assert "0 added, 0 updated, 3 unchanged" in out
    assert fingerprint(demo_path) == before, "not even an audit event"


def test_changing_one_person_updates_only_them(run_cli, demo_path: Path, write_csv) -> None:
    assert _import(run_cli, write_csv("roster.csv", *ROSTER), demo_path)[0] == 0
    changed = [list(row) for row in ROSTER]
    changed[1][4] = changed[1][4].replace("2019-09-01|", "2019-09-01|2026-03-31")  # Ann moved
    emails = ["ann.other@testshire.ac.uk", "bo.nobody@gmail.com", "cy.third@trust.nhs.uk"]
    db = open_database(demo_path)
    before = _people(db, emails)
    last_seq = db.read(lambda s: s.scalar(select(func.max(AuditEvent.seq))))

    code, out, _ = _import(run_cli, write_csv("roster2.csv", *changed), demo_path)

    assert code == 0
    assert "0 added, 1 updated, 2 unchanged" in out
    after = _people(db, emails)
    assert after["bo.nobody@gmail.com"] == before["bo.nobody@gmail.com"]
    assert after["cy.third@trust.nhs.uk"] == before["cy.third@trust.nhs.uk"]
    assert after[emails[0]]["affiliations"] == {
        ("University of Testshire", date(2019, 9, 1), date(2026, 3, 31)),
        ("Old Trust", date(2010, 1, 1), date(2018, 12, 31)),
    }
    assert after[emails[0]]["roles"] == before[emails[0]]["roles"]
    events = db.read(
        lambda s: [
            (e.action, e.subject_ref)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.seq > last_seq))
        ]
    )
    assert events == [
        ("person.updated", "ann.other@testshire.ac.uk"),
        ("roster.imported", "roster2.csv"),
    ]
    assert db.read(audit.verify_chain).intact
    db.close()


def test_an_e_mail_in_another_case_is_the_same_person(run_cli, demo_path: Path, write_csv) -> None:
    assert _import(run_cli, write_csv("roster.csv", *ROSTER), demo_path)[0] == 0
    shouted = [list(row) for row in ROSTER]
    shouted[1][0] = "ANN.OTHER@TESTSHIRE.AC.UK"
    before = fingerprint(demo_path)

    code, out, _ = _import(run_cli, write_csv("roster2.csv", *shouted), demo_path)

    assert code == 0 and "3 unchanged" in out
    assert fingerprint(demo_path) == before


def test_the_service_reports_what_it_did(gateway_round: Database, write_csv) -> None:
    file = write_csv("roster.csv", *ROSTER)

    first = gateway_round.run(roster.import_roster, file, "secretariat@centre.org")
    second = gateway_round.run(roster.import_roster, file)

    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 3)
    listed = gateway_round.read(roster.list_people)
    assert [p.name for p in listed] == ["Ann Other", "Bo Nobody", "Cy Third"]
    assert listed[2].roles == ("reviewer", "secretariat"), "roles in the process's order"
    actors = gateway_round.read(
        lambda s: set(s.scalars(select(AuditEvent.actor).where(AuditEvent.action.like("person%"))))
    )
    assert actors == {"secretariat@centre.org"}
