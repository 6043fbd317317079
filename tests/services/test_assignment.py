"""Assignment: full teams covering the stage's expertise mix, load spread and capped, never a
conflict whatever the path, and a reason (with nothing half done) where no team exists."""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import (
    assignment,
    assignment_changes,
    conflict_decisions,
    conflicts,
    rounds,
)
from panel_desk.services.assignment_plan import Task, plan_teams
from panel_desk.services.database import Database, open_database
from panel_desk.store.models import Assignment, AssignmentState, ConflictFlag, Person, PersonRole
from tests.dbstate import fingerprint
from tests.services.coi_world import MIX, OPENS, SECRETARIAT, P, S, build, detect, flags, teams

FRAILTY = f"area:frailty;{MIX}"


def _tags(db: Database) -> dict[str, set[str]]:
    return {
        email: set(tags)
        for email, tags in db.read(
            lambda s: [(p.email, [t.tag for t in p.expertise]) for p in s.scalars(select(Person))]
        )
    }


def test_teams_cover_the_mix_spread_the_load_and_avoid_conflicts(
    empty_db: Database, tmp_path: Path
) -> None:
    people = [
        P("ppi.one@gmail.com", expertise="area:frailty;ppi"),
        P("ppi.two@gmail.com", expertise="ppi"),
        P("cur.one@a.example", expertise="curriculum;resources"),
        P("cur.two@b.example", expertise="area:frailty;curriculum"),
        P("res.one@c.example", expertise="resources"),
        P("res.two@d.example", expertise="area:frailty;resources;curriculum"),
        P("insider@testshire.ac.uk", expertise=FRAILTY, affiliations="University of Testshire||"),
    ]
    build(empty_db, tmp_path, people, [S(f"S-{n}") for n in range(1, 7)])

    report = empty_db.run(assignment.assign_round, "GW-C-01")

    assert report.added == 18 and not report.unassigned
    tags = _tags(empty_db)
    for ref, team in teams(empty_db).items():
        assert len(team) == 3, ref
        held = set().union(*(tags[e] for e in team))
        assert {"area:frailty", "curriculum", "resources", "ppi"} <= held, ref
        assert "insider@testshire.ac.uk" not in team
    loads = Counter(e for team in teams(empty_db).values() for e in team)
    assert max(loads.values()) - min(loads.values()) <= 2, loads
    assert dict(report.loads) == dict(loads)


def test_no_valid_team_is_reported_and_nothing_partial_assigned(
    empty_db: Database, tmp_path: Path
) -> None:
    people = [
        P("ppi.only@gmail.com", expertise="ppi"),
        P("a@a.example", expertise=f"area:frailty;{MIX}"),
        P("b@b.example", expertise="curriculum"),
        P("c@c.example", expertise="resources"),
    ]
    build(
        empty_db,
        tmp_path,
        people,
        [S("S-1"), S("S-2", named="ppi.only@gmail.com"), S("S-3", area="Diabetes")],
    )

    report = empty_db.run(assignment.assign_round, "GW-C-01")

    reasons = {o.ref: o.reason for o in report.unassigned}
    assert set(reasons) == {"S-3"}, "S-2 is staffed without the conflicted ppi reviewer"
    assert "area:diabetes" in reasons["S-3"] and "nobody holds it" in reasons["S-3"]
    assert "S-3" not in teams(empty_db)
    assert "ppi.only@gmail.com" not in teams(empty_db)["S-2"]

    empty_db.run(assignment_changes.withdraw_reviewer, "GW-C-01", "S-2", "a@a.example", "test")
    report = empty_db.run(assignment.assign_round, "GW-C-01", 3, 1)
    reasons = {o.ref: o.reason for o in report.unassigned}
    assert "S-2" in reasons and "a@a.example" not in teams(empty_db).get("S-2", set())
    assert len(teams(empty_db)["S-2"]) == 2, "the two left keep their places; nobody is added"


def test_the_load_limit_holds_and_explains_itself(empty_db: Database, tmp_path: Path) -> None:
    people = [P(f"r{n}@x{n}.example", expertise=FRAILTY) for n in range(4)]
    build(empty_db, tmp_path, people, [S(f"S-{n}") for n in range(1, 6)])

    report = empty_db.run(assignment.assign_round, "GW-C-01", 2, 2)

    loads = Counter(e for team in teams(empty_db).values() for e in team)
    assert max(loads.values()) <= 2 and report.added == 8
    (unassigned,) = report.unassigned
    assert "load limit" in unassigned.reason


def test_running_again_keeps_the_teams_and_adds_nothing(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P(f"r{n}@x{n}.example", expertise=FRAILTY) for n in range(5)],
        [S("S-1"), S("S-2")],
    )
    empty_db.run(assignment.assign_round, "GW-C-01")
    first = teams(empty_db)

    again = empty_db.run(assignment.assign_round, "GW-C-01")

    assert again.added == 0 and teams(empty_db) == first
    bigger = empty_db.run(assignment.assign_round, "GW-C-01", 4)
    assert bigger.added == 2 and all(first[r] < teams(empty_db)[r] for r in first)


def test_a_submission_not_through_screening_gets_nobody(empty_db: Database, tmp_path: Path) -> None:
    build(empty_db, tmp_path, [P("r@x.example", expertise=FRAILTY)], [S("S-1")])
    with empty_db.transaction() as session:
        from panel_desk.store.models import Submission

        session.scalar(select(Submission)).screening_state = "gaps_returned"

    report = empty_db.run(assignment.assign_round, "GW-C-01", 1)

    assert report.skipped == (("S-1", "screening: gaps returned"),) and report.added == 0
    with pytest.raises(BadInput, match="not through screening"):
        empty_db.run(assignment_changes.assign_reviewer, "GW-C-01", "S-1", "r@x.example", "t")


# --- the door ------------------------------------------------------------------------------


@pytest.fixture
def conflicted(empty_db: Database, tmp_path: Path) -> Database:
    build(
        empty_db,
        tmp_path,
        [
            P("insider@testshire.ac.uk", affiliations="University of Testshire|2012-01-01|"),
            P("free@wolds.example"),
        ],
        [S("S-1")],
    )
    return empty_db


def test_a_refused_assignment_names_the_rule_and_evidence_and_changes_nothing(
    conflicted: Database,
) -> None:
    before = fingerprint(conflicted)

    with pytest.raises(conflicts.ConflictRefused) as caught:
        conflicted.run(
            assignment_changes.assign_reviewer, "GW-C-01", "S-1", "insider@testshire.ac.uk", "test"
        )

    refused = caught.value
    assert "affiliation" in refused.problem and "University of Testshire" in refused.problem
    assert {f.rule for f in refused.flags} == {"affiliation", "mail_domain"}
    assert refused.flags[0].evidence["matches"][0]["starts_on"] == "2012-01-01"
    assert fingerprint(conflicted) == before


def test_the_door_refuses_a_blocked_pair_whoever_calls_it(conflicted: Database) -> None:
    detect(conflicted)

    def sneak(session) -> None:
        round_ = rounds.round_by_ref(session, "GW-C-01")
        sid = session.scalar(select(ConflictFlag.submission_id))
        pid = session.scalar(select(Person.id).where(Person.email == "insider@testshire.ac.uk"))
        assignment.record_assignments(session, round_, [(sid, pid)], "a path not yet written")

    with pytest.raises(conflicts.ConflictRefused):
        conflicted.run(sneak)
    assert teams(conflicted) == {}


def test_only_peer_reviewers_are_assigned(conflicted: Database) -> None:
    with pytest.raises(BadInput, match="not a peer reviewer"):
        conflicted.run(assignment_changes.assign_reviewer, "GW-C-01", "S-1", SECRETARIAT[0], "t")


def test_a_hard_flag_cleared_by_two_lets_the_person_be_assigned(conflicted: Database) -> None:
    detect(conflicted)
    for flag in flags(conflicted)[("insider@testshire.ac.uk", "S-1")].values():
        conflicted.run(
            conflict_decisions.decide, flag.id, "clear", "Honorary only.", SECRETARIAT[0]
        )
        if flag.severity == "hard":
            with pytest.raises(conflicts.ConflictRefused, match="awaits a second"):
                conflicted.run(
                    assignment_changes.assign_reviewer,
                    "GW-C-01",
                    "S-1",
                    "insider@testshire.ac.uk",
                    "t",
                )
            conflicted.run(conflict_decisions.second, flag.id, SECRETARIAT[1])

    conflicted.run(
        assignment_changes.assign_reviewer, "GW-C-01", "S-1", "insider@testshire.ac.uk", "t"
    )

    assert teams(conflicted) == {"S-1": {"insider@testshire.ac.uk"}}


def test_a_batch_withdrawn_and_made_again(empty_db: Database, tmp_path: Path) -> None:
    build(
        empty_db,
        tmp_path,
        [P(f"r{n}@x{n}.example", expertise=FRAILTY) for n in range(3)],
        [S("S-1"), S("S-2")],
    )
    report = empty_db.run(assignment.assign_round, "GW-C-01")
    pairs = [(o.ref, e) for o in report.outcomes for e in o.added]

    assert empty_db.run(assignment_changes.withdraw_many, "GW-C-01", pairs, "t", "undo") == 6
    assert teams(empty_db) == {}
    assert empty_db.run(assignment_changes.assign_many, "GW-C-01", pairs, "t", "redo") == 6
    states = empty_db.read(lambda s: set(s.scalars(select(Assignment.state))))
    assert states == {AssignmentState.ACTIVE} and len(teams(empty_db)) == 2


# --- the property: no conflict ever, a full team covering the mix or a reason ------------------

TAGS = ("area:frailty", "area:diabetes", "curriculum", "resources", "ppi")


@st.composite
def planning(draw):
    reviewers = {
        pid: draw(st.frozensets(st.sampled_from(TAGS), max_size=4))
        for pid in range(draw(st.integers(0, 9)))
    }
    ids = list(reviewers)
    tasks = []
    for n in range(draw(st.integers(1, 6))):
        area = draw(st.sampled_from(TAGS[:2]))
        needs = frozenset({area, *draw(st.frozensets(st.sampled_from(TAGS[2:]), min_size=1))})
        team = tuple(draw(st.lists(st.sampled_from(ids), max_size=1, unique=True))) if ids else ()
        blocked = (
            frozenset(draw(st.lists(st.sampled_from(ids), unique=True))) if ids else frozenset()
        )
        tasks.append(Task(n, f"S-{n}", needs, team, blocked - set(team)))
    return tasks, reviewers, draw(st.integers(1, 4)), draw(st.none() | st.integers(1, 4))


@settings(max_examples=400, deadline=None)
@given(planning())
def test_planned_teams_are_complete_conflict_free_within_load_or_reported(case) -> None:
    tasks, reviewers, size, max_load = case
    loads = Counter(p for t in tasks for p in t.team)

    outcomes = plan_teams(tasks, reviewers, size, max_load, dict(loads))

    assert [o.submission_id for o in outcomes] == [t.id for t in tasks]
    for task, outcome in zip(tasks, outcomes, strict=True):
        assert not set(outcome.added) & task.blocked
        assert len(set(outcome.team)) == len(outcome.team)
        if outcome.reason:
            assert outcome.added == () and outcome.team == task.team
            if max_load is None and len(task.team) < size:  # then each task stands alone
                assert not _team_exists(task, reviewers, size), "a valid team was missed"
        else:
            assert len(outcome.team) >= size
            held = set().union(*(reviewers[p] for p in outcome.team))
            assert task.needs <= held
        loads.update(outcome.added)
    if max_load is not None:
        before = Counter(p for t in tasks for p in t.team)
        assert all(n <= max(max_load, before[p]) for p, n in loads.items())


def _team_exists(task: Task, reviewers: dict[int, frozenset[str]], size: int) -> bool:
    free = [p for p in reviewers if p not in task.blocked and p not in task.team]
    held = set().union(*(reviewers[p] for p in task.team)) if task.team else set()
    slots = size - len(task.team)
    if len(free) < slots:
        return False
    return any(
        task.needs <= held.union(*(reviewers[p] for p in chosen))
        for chosen in itertools.combinations(free, slots)
    )


ORGS = ("University of Testshire", "Wolds College", "Lowther Hospice", "Testshire Hospitals NHS FT")
DOMAINS = ("testshire.ac.uk", "wolds.ac.uk", "gmail.com", "nhs.net")


@st.composite
def worlds(draw):
    people = []
    for n in range(draw(st.integers(2, 8))):
        org = draw(st.sampled_from(ORGS))
        ends = draw(
            st.none() | st.integers(-800, 800).map(lambda d: OPENS - timedelta(days=1095 + d))
        )
        people.append(
            P(
                f"p{n}@{draw(st.sampled_from(DOMAINS))}",
                expertise=";".join(draw(st.sets(st.sampled_from(TAGS), min_size=1))),
                affiliations=f"{org}|2001-01-01|{ends or ''}" if draw(st.booleans()) else "",
                interests=draw(st.sampled_from(("", *ORGS))),
            )
        )
    items = []
    for n in range(draw(st.integers(1, 4))):
        named = draw(st.sets(st.sampled_from([p.email for p in people]), max_size=2))
        items.append(
            S(
                f"S-{n}",
                lead=draw(st.sampled_from(ORGS)),
                partners=draw(st.sampled_from(("", *ORGS))),
                named=";".join(["lead@" + draw(st.sampled_from(DOMAINS)), *sorted(named)]),
                area=draw(st.sampled_from(("Frailty", "Diabetes"))),
            )
        )
    return people, items


def _independent_conflicts(people: list[P], items: list[S]) -> set[tuple[str, str]]:
    """Rules 1–4 worked out again from the CSV rows, without the rules' code."""
    cutoff = date(OPENS.year - 3, OPENS.month, OPENS.day)
    found = set()
    for s in items:
        orgs = {s.lead} | ({s.partners} if s.partners else set())
        named = s.named.split(";")
        domains = {e.split("@")[1] for e in named} - {"gmail.com", "nhs.net"} - {""}
        for p in people:
            org, _, ends = [*p.affiliations.split("|"), "", "", ""][:3]
            tied = org in orgs and (not ends or date.fromisoformat(ends) >= cutoff)
            domain = p.email.split("@")[1]
            same_domain = domain in domains and any(
                e != p.email and e.endswith("@" + domain) for e in named
            )
            if tied or p.email in named or p.interests in orgs or same_domain:
                found.add((p.email, s.ref))
    return found


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(worlds())
def test_no_assignment_ever_holds_a_conflict_and_every_submission_is_staffed_or_reported(
    world,
) -> None:
    people, items = world
    folder = Path(tempfile.mkdtemp(prefix="coi-property-"))
    db = open_database(folder / "hub.sqlite")
    try:
        build(db, folder, people, items)
        report = db.run(assignment.assign_round, "GW-C-01")
        staffed = teams(db)
        conflicted = _independent_conflicts(people, items)
        tags = _tags(db)
        unassigned = {o.ref for o in report.unassigned}
        for s in items:
            team = staffed.get(s.ref, set())
            assert not {(e, s.ref) for e in team} & conflicted, s.ref
            if s.ref in unassigned:
                assert not team
            else:
                held = set().union(*(tags[e] for e in team))
                needs = {f"area:{s.area.lower()}", "curriculum", "resources", "ppi"}
                assert len(team) == 3 and needs <= held, s.ref
    finally:
        db.close()
        shutil.rmtree(folder, ignore_errors=True)


# --- the command line ----------------------------------------------------------------------


def test_assign_and_conflicts_on_the_command_line(run_cli, demo_path: Path) -> None:
    code, out, err = run_cli("conflicts", "--round", "PA-2026-03", "--json", "--db", demo_path)
    assert (code, err) == (0, "")
    listing = json.loads(out)
    assert {"person", "submission", "rule", "severity", "evidence", "decision"} <= set(
        listing["flags"][0]
    )
    assert {f["rule"] for f in listing["flags"]} >= {"affiliation", "named", "mail_domain"}
    assert any(f["decision"] and f["decision"]["rationale"] for f in listing["flags"])

    code, out, err = run_cli("assign", "--round", "PA-2026-03", "--json", "--db", demo_path)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["assignments_made"] >= 3 and result["per_submission"] == 3
    blocking = {(f["person"], f["submission"]) for f in listing["flags"] if f["blocking"]}
    for item in result["submissions"]:
        assert not {(e, item["ref"]) for e in item["team"]} & blocking

    code, out, err = run_cli(
        "assign", "--round", "PA-2026-03", "--per-submission", "0", "--db", demo_path
    )
    assert code == 2 and "--per-submission" in err and "Traceback" not in err


def test_decisions_and_aliases_on_the_command_line(run_cli, demo_path: Path) -> None:
    code, out, _ = run_cli("conflicts", "--round", "PA-2026-03", "--json", "--db", demo_path)
    flag = next(
        f
        for f in json.loads(out)["flags"]
        if f["severity"] == "hard" and f["status"] == "open" and not f["decision"]
    )
    db = open_database(demo_path)
    first, second = db.read(
        lambda s: list(
            s.scalars(
                select(Person.email)
                .join(PersonRole, PersonRole.person_id == Person.id)
                .where(PersonRole.role == "secretariat")
                .order_by(Person.id)
            )
        )
    )[:2]
    db.close()

    code, _, err = run_cli(
        "conflicts",
        "decide",
        str(flag["id"]),
        "--manage",
        "--rationale",
        "x",
        "--as",
        first,
        "--db",
        demo_path,
    )
    assert code == 2 and "cannot be managed" in err
    code, out, err = run_cli(
        "conflicts",
        "decide",
        str(flag["id"]),
        "--clear",
        "--rationale",
        "Ended long ago.",
        "--as",
        first,
        "--db",
        demo_path,
    )
    assert code == 0 and "awaits a second person" in out
    code, out, err = run_cli(
        "conflicts", "second", str(flag["id"]), "--as", second, "--db", demo_path
    )
    assert (code, err) == (0, "") and "cleared" in out

    code, out, err = run_cli(
        "org",
        "alias",
        "add",
        "--organisation",
        "Lowther Hospice",
        "--domain",
        "lowther.org.uk",
        "--db",
        demo_path,
    )
    assert (code, err) == (0, "") and "Lowther Hospice" in out
    code, out, _ = run_cli("org", "list", "--json", "--db", demo_path)
    hospice = next(o for o in json.loads(out) if o["name"] == "Lowther Hospice")
    assert hospice["aliases"] == [{"kind": "domain", "alias": "lowther.org.uk"}]


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_shows_flags_of_several_rules_and_assigns_none_of_them(
    demo_db: Database,
) -> None:
    def read(session):
        rules = Counter(session.scalars(select(ConflictFlag.rule)))
        statuses = Counter(session.scalars(select(ConflictFlag.status)))
        blocked = set(
            session.execute(
                select(ConflictFlag.person_id, ConflictFlag.submission_id).where(
                    ConflictFlag.status.in_(conflicts.BLOCKING)
                )
            ).all()
        )
        active = set(
            session.execute(
                select(Assignment.person_id, Assignment.submission_id).where(
                    Assignment.state == AssignmentState.ACTIVE
                )
            ).all()
        )
        return rules, statuses, blocked, active

    rules, statuses, blocked, active = demo_db.read(read)

    assert set(rules) == {
        "affiliation",
        "named",
        "declared_interest",
        "mail_domain",
        "own_declaration",
    }
    assert {"open", "cleared", "managed", "declared"} <= set(statuses)
    assert len(active) >= 20 and not active & blocked
