"""Conflict-of-interest rules: each fires on its evidence and not just outside it; flags are
kept in step with the roster; decisions need a rationale (and, when hard, two people);
reviewers' own declarations and "no conflict" certificates are recorded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import (
    assignment_changes,
    conflict_decisions,
    conflict_declarations,
    organisations,
    roster,
    rounds,
    submission_views,
)
from panel_desk.services.conflict_rules import lookback_start
from panel_desk.services.database import Database
from panel_desk.store.models import AuditEvent, Review, ReviewState, Role
from tests.dbstate import fingerprint
from tests.services.coi_world import (
    OPENS,
    SECRETARIAT,
    P,
    S,
    build,
    build_flagged,
    colleague_flag,
    detect,
    flags,
    teams,
)

CUTOFF = date(2023, 9, 1)  # three years before OPENS


def rules_for(db: Database, email: str, ref: str = "S-1") -> set[str]:
    return set(flags(db).get((email, ref), {}))


# --- rule 1: affiliation within the look-back ---------------------------------------------


def test_affiliation_counts_to_the_lookback_boundary_day_and_not_the_day_before(
    empty_db: Database, tmp_path: Path
) -> None:
    build(
        empty_db,
        tmp_path,
        [
            P("current@a.example", affiliations="University of Testshire|2019-01-01|"),
            P("boundary@b.example", affiliations=f"University of Testshire|2015-01-01|{CUTOFF}"),
            P("day.before@c.example", affiliations="University of Testshire|2015-01-01|2023-08-31"),
            P("partner@d.example", affiliations="Testshire Hospitals NHS Foundation Trust||"),
        ],
        [S("S-1", partners="Testshire Hospitals NHS Foundation Trust")],
    )

    report = detect(empty_db)

    assert rules_for(empty_db, "current@a.example") == {"affiliation"}
    assert rules_for(empty_db, "boundary@b.example") == {"affiliation"}
    assert rules_for(empty_db, "day.before@c.example") == set()
    assert rules_for(empty_db, "partner@d.example") == {"affiliation"}
    flag = flags(empty_db)[("boundary@b.example", "S-1")]["affiliation"]
    assert flag.severity == "hard" and flag.status == "open" and flag.blocking
    assert flag.evidence == {
        "matches": [
            {
                "organisation": "University of Testshire",
                "role": "lead",
                "starts_on": "2015-01-01",
                "ends_on": "2023-09-01",
            }
        ],
        "lookback_from": "2023-09-01",
    }
    assert "until 2023-09-01" in flag.explanation and "lead" in flag.explanation
    partner = flags(empty_db)[("partner@d.example", "S-1")]["affiliation"]
    assert partner.evidence["matches"][0]["role"] == "partner"
    assert report.by_rule == {"affiliation": 3}


def test_a_longer_lookback_reaches_further(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P("left@c.example", affiliations="University of Testshire|2010-01-01|2022-06-30")],
        [S("S-1")],
    )
    assert detect(empty_db).flags == 0
    with empty_db.transaction() as session:
        rounds.round_by_ref(session, "GW-C-01").lookback_years = 5

    detect(empty_db)

    assert rules_for(empty_db, "left@c.example") == {"affiliation"}


def test_the_lookback_of_a_round_opening_on_29_february() -> None:
    assert lookback_start(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert lookback_start(OPENS, 3) == CUTOFF


# --- organisation names ----------------------------------------------------------------


def test_names_match_after_normalising_but_word_order_is_kept() -> None:
    key = organisations.organisation_key
    assert key("Testshire Hospitals NHS Foundation Trust") == key("testshire hospitals NHS FT")
    assert key("The Apex Clinical Education Ltd.") == key("Apex Clinical Education")
    assert key("University of Testshire") != key("Testshire University")


def test_a_similar_name_is_a_different_organisation(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [
            P("other.uni@a.example", affiliations="Testshire University||"),
            P("spelt.otherwise@b.example", affiliations="Testshire Hospitals NHS FT||"),
            P("interest@c.example", interests="Testshire University"),
        ],
        [S("S-1", partners="Testshire Hospitals NHS Foundation Trust")],
    )

    detect(empty_db)

    assert rules_for(empty_db, "other.uni@a.example") == set()
    assert rules_for(empty_db, "interest@c.example") == set()
    assert rules_for(empty_db, "spelt.otherwise@b.example") == {"affiliation"}


def test_an_alias_joins_a_merged_trust(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P("old.trust@a.example", affiliations="Wolds Community Health NHS Trust||")],
        [S("S-1", partners="Testshire Hospitals NHS Foundation Trust")],
    )
    assert detect(empty_db).flags == 0

    empty_db.run(
        organisations.add_alias,
        "Testshire Hospitals NHS FT",
        "name",
        "Wolds Community Health NHS Trust",
    )
    detect(empty_db)

    flag = flags(empty_db)[("old.trust@a.example", "S-1")]["affiliation"]
    match = flag.evidence["matches"][0]
    assert match["organisation"] == "Wolds Community Health NHS Trust"
    assert match["submission_organisation"] == "Testshire Hospitals NHS Foundation Trust"
    assert "alias" in match["joined_by"]
    listed = {o.name: o for o in empty_db.read(organisations.list_organisations)}
    assert listed["Wolds Community Health NHS Trust"].joined_to.startswith("Testshire Hospitals")


@pytest.mark.parametrize(
    ("organisation", "kind", "alias", "problem"),
    [
        ("Nowhere College", "name", "X", "no organisation named"),
        ("University of Testshire", "name", "university of testshire", "already how"),
        ("University of Testshire", "domain", "gmail.com", "shared mail domain"),
        ("University of Testshire", "domain", "not a domain", "not a mail domain"),
    ],
)
def test_a_bad_alias_is_refused_and_changes_nothing(
    empty_db: Database, tmp_path: Path, organisation: str, kind: str, alias: str, problem: str
) -> None:
    build(empty_db, tmp_path, [], [S("S-1")])
    before = fingerprint(empty_db)

    with pytest.raises(BadInput) as caught:
        empty_db.run(organisations.add_alias, organisation, kind, alias)

    assert problem in caught.value.problem
    assert fingerprint(empty_db) == before


# --- rules 2 and 3 ------------------------------------------------------------------------


def test_named_in_the_submission_fires_only_for_that_address(
    empty_db: Database, tmp_path: Path
) -> None:
    build(
        empty_db,
        tmp_path,
        [P("ann.author@elsewhere.example"), P("ann.author@gmail.com")],
        [S("S-1", named="Ann.Author@elsewhere.example;lead.author@testshire.ac.uk")],
    )

    detect(empty_db)

    flag = flags(empty_db)[("ann.author@elsewhere.example", "S-1")]
    assert set(flag) == {"named"}
    assert flag["named"].evidence == {"email": "ann.author@elsewhere.example"}
    assert rules_for(empty_db, "ann.author@gmail.com") == set()


def test_a_declared_interest_in_a_partner_fires(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P("trustee@a.example", interests="Lowther Hospice"), P("other@b.example")],
        [S("S-1", partners="Lowther Hospice;Testshire Hospitals NHS FT")],
    )

    detect(empty_db)

    flag = flags(empty_db)[("trustee@a.example", "S-1")]["declared_interest"]
    assert flag.severity == "hard"
    assert flag.evidence["matches"][0]["organisation"] == "Lowther Hospice"
    assert rules_for(empty_db, "other@b.example") == set()


# --- rule 4: mail domain (soft) -----------------------------------------------------------


def test_same_mail_domain_is_soft_and_never_for_a_shared_domain(
    empty_db: Database, tmp_path: Path
) -> None:
    build(
        empty_db,
        tmp_path,
        [
            P("colleague@testshire.ac.uk"),
            P("faculty@med.testshire.ac.uk"),
            P("gmail.user@gmail.com"),
            P("nhs.user@nhs.net"),
            P("stranger@testshire-college.ac.uk"),
        ],
        [S("S-1", lead="Wolds College", named="a@testshire.ac.uk;b@gmail.com;c@nhs.net")],
    )

    detect(empty_db)

    flag = flags(empty_db)[("colleague@testshire.ac.uk", "S-1")]["mail_domain"]
    assert flag.severity == "soft"
    assert flag.evidence == {
        "domain": "testshire.ac.uk",
        "matches": [
            {"named": "a@testshire.ac.uk", "named_domain": "testshire.ac.uk", "how": "same domain"}
        ],
    }
    sub = flags(empty_db)[("faculty@med.testshire.ac.uk", "S-1")]["mail_domain"]
    assert sub.evidence["matches"][0]["how"] == "subdomain"
    for email in ("gmail.user@gmail.com", "nhs.user@nhs.net", "stranger@testshire-college.ac.uk"):
        assert rules_for(empty_db, email) == set(), email


def test_the_shared_domains_are_the_rounds_own_list(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P("colleague@testshire.ac.uk"), P("gmail.user@gmail.com")],
        [S("S-1", named="a@testshire.ac.uk;b@gmail.com")],
        shared_domains=["testshire.ac.uk"],
    )

    detect(empty_db)

    assert rules_for(empty_db, "colleague@testshire.ac.uk") == set()
    assert rules_for(empty_db, "gmail.user@gmail.com") == {"mail_domain"}


def test_domains_aliased_to_one_institution_match(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P("staff@testshire-hospitals.nhs.uk")],
        [S("S-1", named="a@tsh.nhs.uk")],
    )
    detect(empty_db)
    assert rules_for(empty_db, "staff@testshire-hospitals.nhs.uk") == set()

    for domain in ("tsh.nhs.uk", "testshire-hospitals.nhs.uk"):
        empty_db.run(organisations.add_alias, "University of Testshire", "domain", domain)
    detect(empty_db)

    flag = flags(empty_db)[("staff@testshire-hospitals.nhs.uk", "S-1")]["mail_domain"]
    assert flag.evidence["matches"][0]["how"] == "one institution: University of Testshire"


def test_a_persons_own_address_is_not_a_domain_match(empty_db: Database, tmp_path: Path) -> None:
    build(empty_db, tmp_path, [P("me@wolds.example")], [S("S-1", named="me@wolds.example")])

    detect(empty_db)

    assert rules_for(empty_db, "me@wolds.example") == {"named"}


# --- keeping flags in step ----------------------------------------------------------------


def _roster_change(db: Database, folder: Path, rows: list[list[str]]) -> None:
    path = folder / "update.csv"
    lines = [",".join(roster.ROSTER_COLUMNS), *(",".join(r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db.run(roster.import_roster, path)


def test_detection_again_changes_nothing_then_follows_the_roster(
    empty_db: Database, tmp_path: Path
) -> None:
    build(
        empty_db,
        tmp_path,
        [P("moved@a.example", affiliations="University of Testshire||")],
        [S("S-1")],
    )
    detect(empty_db)
    before = fingerprint(empty_db)

    again = detect(empty_db)

    assert (again.added, again.reopened, again.lapsed) == (0, 0, 0)
    assert fingerprint(empty_db) == before, "nothing changed, so nothing is written"

    _roster_change(
        empty_db, tmp_path, [["moved@a.example", "Moved", "reviewer", "", "Wolds College||", ""]]
    )
    report = detect(empty_db)

    assert report.lapsed == 1 and rules_for(empty_db, "moved@a.example") == set()


def test_changed_evidence_reopens_a_decided_flag(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db, tmp_path, [P("colleague@testshire.ac.uk")], [S("S-1", named="a@testshire.ac.uk")]
    )
    detect(empty_db)
    flag = flags(empty_db)[("colleague@testshire.ac.uk", "S-1")]["mail_domain"]
    empty_db.run(conflict_decisions.decide, flag.id, "clear", "Different faculty.", SECRETARIAT[0])
    assert not flags(empty_db)[("colleague@testshire.ac.uk", "S-1")]["mail_domain"].blocking

    _roster_change(
        empty_db,
        tmp_path,
        [["colleague@testshire.ac.uk", "Col", "reviewer", "", "", ""]],
    )
    with empty_db.transaction() as session:  # a second colleague is named: new evidence
        from panel_desk.store.models import NamedPerson, Submission

        sid = session.scalar(select(Submission.id).where(Submission.ref == "S-1"))
        session.add(NamedPerson(submission_id=sid, email="b@testshire.ac.uk"))
    report = detect(empty_db)

    reopened = flags(empty_db)[("colleague@testshire.ac.uk", "S-1")]["mail_domain"]
    assert report.reopened == 1
    assert (
        reopened.blocking and reopened.decided_by == "" and len(reopened.evidence["matches"]) == 2
    )


def test_detection_withdraws_someone_newly_conflicted(empty_db: Database, tmp_path: Path) -> None:
    build(empty_db, tmp_path, [P("rev@a.example")], [S("S-1")])
    empty_db.run(assignment_changes.assign_reviewer, "GW-C-01", "S-1", "rev@a.example", "test")
    assert teams(empty_db) == {"S-1": {"rev@a.example"}}

    _roster_change(
        empty_db,
        tmp_path,
        [["rev@a.example", "Rev", "reviewer", "", "University of Testshire|2024-01-01|", ""]],
    )
    report = detect(empty_db)

    assert report.withdrawn == (("S-1", "rev@a.example"),)
    assert teams(empty_db) == {}


# --- decisions ----------------------------------------------------------------------------


@pytest.fixture
def flagged(empty_db: Database, tmp_path: Path) -> Database:
    return build_flagged(empty_db, tmp_path)


_flag = colleague_flag


def test_a_soft_flag_is_cleared_or_managed_with_a_rationale(flagged: Database) -> None:
    soft = _flag(flagged, "mail_domain")
    before = fingerprint(flagged)
    with pytest.raises(BadInput, match="rationale"):
        flagged.run(conflict_decisions.decide, soft.id, "manage", "  ", SECRETARIAT[0])
    assert fingerprint(flagged) == before

    managed = flagged.run(
        conflict_decisions.decide, soft.id, "manage", "Will not read section 4.", SECRETARIAT[0]
    )

    assert managed.status == "managed" and not managed.blocking
    assert managed.decided_by == SECRETARIAT[0] and managed.rationale == "Will not read section 4."
    events = flagged.read(
        lambda s: s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("conflict.%")))
    )
    assert "conflict.decided" in list(events)


def test_a_hard_flag_needs_a_rationale_and_a_second_person(flagged: Database) -> None:
    hard = _flag(flagged, "affiliation")
    with pytest.raises(BadInput, match="cannot be managed"):
        flagged.run(conflict_decisions.decide, hard.id, "manage", "Why not.", SECRETARIAT[0])
    with pytest.raises(BadInput, match="rationale"):
        flagged.run(conflict_decisions.decide, hard.id, "clear", "", SECRETARIAT[0])

    proposed = flagged.run(
        conflict_decisions.decide, hard.id, "clear", "Left in January 2024.", SECRETARIAT[0]
    )
    assert proposed.blocking and proposed.awaiting_second
    with pytest.raises(BadInput, match="someone other"):
        flagged.run(conflict_decisions.second, hard.id, SECRETARIAT[0])
    with pytest.raises(BadInput, match="secretariat"):
        flagged.run(conflict_decisions.second, hard.id, "colleague@testshire.ac.uk")

    cleared = flagged.run(conflict_decisions.second, hard.id, SECRETARIAT[1])

    assert cleared.status == "cleared" and not cleared.blocking
    assert (cleared.decided_by, cleared.seconded_by) == SECRETARIAT


def test_reopening_a_decision_blocks_again_and_withdraws(flagged: Database) -> None:
    soft, hard = _flag(flagged, "mail_domain"), _flag(flagged, "affiliation")
    flagged.run(conflict_decisions.decide, soft.id, "clear", "No tie.", SECRETARIAT[0])
    flagged.run(conflict_decisions.decide, hard.id, "clear", "Left.", SECRETARIAT[0])
    flagged.run(conflict_decisions.second, hard.id, SECRETARIAT[1])
    flagged.run(
        assignment_changes.assign_reviewer, "GW-C-01", "S-1", "colleague@testshire.ac.uk", "t"
    )
    assert teams(flagged) == {"S-1": {"colleague@testshire.ac.uk"}}

    reopened = flagged.run(conflict_decisions.decide, soft.id, "reopen", "", SECRETARIAT[1])

    assert reopened.blocking and reopened.status == "open"
    assert teams(flagged) == {}


def test_nobody_decides_their_own_conflict_nor_a_reviewers_declaration(
    empty_db: Database, tmp_path: Path
) -> None:
    build(
        empty_db,
        tmp_path,
        [P("rev@a.example"), P("sec.three@centre.example", roles="secretariat;reviewer")],
        [S("S-1", named="sec.three@centre.example")],
    )
    detect(empty_db)
    own = flags(empty_db)[("sec.three@centre.example", "S-1")]["named"]
    with pytest.raises(BadInput, match="of their own"):
        empty_db.run(
            conflict_decisions.decide, own.id, "clear", "Fine.", "sec.three@centre.example"
        )
    declared = empty_db.run(
        conflict_declarations.declare_conflict, "GW-C-01", "rev@a.example", "S-1", "My student."
    )
    with pytest.raises(BadInput, match="stands"):
        empty_db.run(conflict_decisions.decide, declared.id, "clear", "No.", SECRETARIAT[0])
    with pytest.raises(BadInput, match="not in the secretariat"):
        empty_db.run(conflict_decisions.decide, own.id, "clear", "No.", "rev@a.example")


# --- rule 5 and certification --------------------------------------------------------------


def test_a_reviewers_declaration_withdraws_and_hides_the_submission(
    empty_db: Database, tmp_path: Path
) -> None:
    build(empty_db, tmp_path, [P("rev@a.example")], [S("S-1"), S("S-2")])
    for ref in ("S-1", "S-2"):
        empty_db.run(assignment_changes.assign_reviewer, "GW-C-01", ref, "rev@a.example", "test")
    with pytest.raises(BadInput, match="empty"):
        empty_db.run(conflict_declarations.declare_conflict, "GW-C-01", "rev@a.example", "S-1", " ")

    flag = empty_db.run(
        conflict_declarations.declare_conflict, "GW-C-01", "rev@a.example", "S-1", "I co-wrote it."
    )
    again = empty_db.run(
        conflict_declarations.declare_conflict, "GW-C-01", "rev@a.example", "S-1", "I co-wrote it."
    )

    assert (flag.rule, flag.severity, flag.status) == ("own_declaration", "hard", "declared")
    assert flag.evidence["reason"] == "I co-wrote it." and again.id == flag.id
    assert teams(empty_db) == {"S-2": {"rev@a.example"}}
    viewer = submission_views.Viewer("rev@a.example", Role.REVIEWER)
    round_id = empty_db.read(lambda s: rounds.round_by_ref(s, "GW-C-01").id)
    listed = empty_db.read(submission_views.list_submissions, round_id, viewer)
    assert [r.ref for r in listed] == ["S-2"]
    with pytest.raises(BadInput, match="cannot be assigned"):
        empty_db.run(assignment_changes.assign_reviewer, "GW-C-01", "S-1", "rev@a.example", "test")


def test_certifying_no_conflict_is_recorded_or_refused(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P("rev@a.example"), P("colleague@testshire.ac.uk")],
        [S("S-1", named="lead@wolds.example")],
    )
    empty_db.run(assignment_changes.assign_reviewer, "GW-C-01", "S-1", "rev@a.example", "test")
    with empty_db.transaction() as session:
        from panel_desk.store.models import Assignment

        aid = session.scalar(select(Assignment.id))
        session.add(Review(assignment_id=aid, version=1, state=ReviewState.DRAFT.value))

    empty_db.run(conflict_declarations.certify_no_conflict, "GW-C-01", "rev@a.example", "S-1")

    certified = empty_db.read(lambda s: s.scalar(select(Review.no_conflict_certified)))
    assert certified is True
    actions = empty_db.read(lambda s: list(s.scalars(select(AuditEvent.action))))
    assert "conflict.none_certified" in actions
    with pytest.raises(BadInput, match="not assigned"):
        empty_db.run(
            conflict_declarations.certify_no_conflict, "GW-C-01", "colleague@testshire.ac.uk", "S-1"
        )
    empty_db.run(
        conflict_declarations.declare_conflict, "GW-C-01", "rev@a.example", "S-1", "Late doubt."
    )
    with pytest.raises(BadInput, match="cannot certify"):
        empty_db.run(conflict_declarations.certify_no_conflict, "GW-C-01", "rev@a.example", "S-1")


def test_every_rule_explains_its_evidence_in_words() -> None:
    from panel_desk.services.conflict_rules import RULES, explain

    samples = {
        "affiliation": {
            "matches": [
                {
                    "organisation": "Wolds College",
                    "role": "lead",
                    "starts_on": None,
                    "ends_on": "2024-01-31",
                }
            ],
            "lookback_from": "2023-09-01",
        },
        "named": {"email": "a@b.example"},
        "declared_interest": {
            "matches": [{"organisation": "Lowther Hospice", "role": "partner", "note": "trustee"}]
        },
        "mail_domain": {
            "domain": "b.example",
            "matches": [
                {"named": "c@b.example", "named_domain": "b.example", "how": "same domain"}
            ],
        },
        "own_declaration": {"reason": "My former student."},
    }
    assert set(samples) == set(RULES)
    words = {rule: explain(rule, evidence) for rule, evidence in samples.items()}
    assert words["affiliation"].startswith("affiliated with Wolds College, the lead")
    assert "until 2024-01-31" in words["affiliation"]
    assert "trustee" in words["declared_interest"]
    assert words["own_declaration"] == "declared: My former student."
