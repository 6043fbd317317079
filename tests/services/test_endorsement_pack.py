"""A round that is not competitive, from reviews to a verified decision pack: outcomes with
conditions, two EAG members enrolled the way the hub enrols its own people, one of them
conflicted on a submission (named in it) and abstaining, the letters saying the conditions.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from panel_desk.errors import BadInput
from panel_desk.services import enrolment, keys, packs, signoff
from panel_desk.services.database import Database
from panel_desk.services.exchange.verification import verify_path
from panel_desk.services.moderation import ItemDecision, OutcomeDecision, save_moderation
from panel_desk.store.models import NamedPerson, Person, PersonRole, Stage
from tests.services.moderation_world import CHAIR, SECRETARIAT, World, build_world

CRITERIA = (
    "specific_capabilities",
    "learning_content_and_outcomes",
    "assessment",
    "advanced_level_capabilities",
    "academic_level",
    "target_group",
    "breadth_of_expertise",
    "inter_professional_collaboration",
    "avoids_duplication",
    "open_source_availability",
)
MEMBERS = ("first.member@one.example", "second.member@two.example")
CONDITIONS = "Set out how the assessment is moderated across providers before launch."


def _reviews(world: World, ref: str, values: tuple[str, str], recommendation: tuple[str, str]):
    world.submission(ref)
    for reviewer, (value, said) in enumerate(zip(values, recommendation, strict=True), start=1):
        world.review(ref, reviewer, dict.fromkeys(CRITERIA, value), said)


@pytest.fixture
def round_(empty_db: Database) -> World:
    world = build_world(empty_db, Stage.ENDORSEMENT)
    _reviews(world, "EN-1", ("met", "met"), ("endorse", "endorse"))
    _reviews(world, "EN-2", ("met with conditions", "met"), ("endorse with conditions",) * 2)
    _reviews(world, "EN-3", ("not met", "not met"), ("do not endorse", "do not endorse"))
    db = world.db
    db.run(
        save_moderation,
        world.submissions["EN-1"],
        CHAIR,
        outcome=OutcomeDecision("", "A clear specification."),
    )
    db.run(
        save_moderation,
        world.submissions["EN-2"],
        CHAIR,
        [
            ItemDecision(
                key,
                "met with conditions" if key == "assessment" else "met",
                "The assessment needs moderating." if key == "assessment" else "Met, as R2 found.",
            )
            for key in CRITERIA
        ],
        OutcomeDecision(CONDITIONS, "Sound, once the assessment is moderated."),
    )
    db.run(
        save_moderation,
        world.submissions["EN-3"],
        CHAIR,
        outcome=OutcomeDecision("", "The learning outcomes need rework."),
    )

    def members(session) -> None:
        for email in MEMBERS:
            session.add(
                Person(
                    email=email,
                    name=email.split("@")[0].replace(".", " ").title(),
                    roles=[PersonRole(role="eag")],
                )
            )
        session.flush()
        session.add(NamedPerson(submission_id=world.submissions["EN-3"], email=MEMBERS[1]))

    db.run(members)
    db.run(keys.set_up_authority, "Centre for Advancing Practice", SECRETARIAT)
    for email in MEMBERS:
        keys.create_personal_key(email)
        db.run(enrolment.enrol_on_hub, email, SECRETARIAT)
    return world


def test_a_round_that_is_not_competitive_is_signed_and_packed_whole(
    round_: World, tmp_path: Path
) -> None:
    db = round_.db
    first = db.run(signoff.sign_off, round_.round_ref, MEMBERS[0])
    assert not first.status.complete and first.abstentions == ()
    second = db.run(signoff.sign_off, round_.round_ref, MEMBERS[1])
    assert [c.submission_ref for c in second.abstentions] == ["EN-3"]
    assert "named in the submission" in second.abstentions[0].reasons[0]
    # EN-3 has one signatory not abstaining: the quorum of 2 is not met for it.
    assert second.status.short == ("EN-3",) and not second.status.complete
    with pytest.raises(BadInput, match="not abstaining on EN-3"):
        db.run(packs.export_pack, round_.round_ref, tmp_path / "early", actor=SECRETARIAT)

    db.run(
        lambda s: s.execute(
            PersonRole.__table__.insert().values(
                person_id=s.scalar(select(Person.id).where(Person.email == CHAIR)), role="eag"
            )
        )
    )
    keys.create_personal_key(CHAIR)
    db.run(enrolment.enrol_on_hub, CHAIR, SECRETARIAT)
    with pytest.raises(BadInput, match="conflicted on every submission"):
        db.run(signoff.sign_off, round_.round_ref, CHAIR)  # the chair moderated them all


def test_with_a_third_member_the_pack_is_made_and_its_letters_state_the_conditions(
    round_: World, tmp_path: Path
) -> None:
    db = round_.db
    third = "third.member@three.example"
    db.run(
        lambda s: s.add(Person(email=third, name="Third Member", roles=[PersonRole(role="eag")]))
    )
    keys.create_personal_key(third)
    db.run(enrolment.enrol_on_hub, third, SECRETARIAT)
    for email in (*MEMBERS, third):
        done = db.run(signoff.sign_off, round_.round_ref, email)
    assert done.status.complete

    made = db.run(packs.export_pack, round_.round_ref, tmp_path / "pack", actor=SECRETARIAT)

    report = db.read(verify_path, made.path)
    assert report.valid, report.lines()
    letter = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO((made.path / "letters" / "EN-2.pdf").read_bytes())).pages
    )
    assert "endorse with conditions" in letter and "assessment is moderated across" in letter
    assert "When the conditions have been met" in letter
    assert "How the submission might be strengthened" in letter
    for path in sorted((made.path / "letters").glob("*.pdf")):  # EN-3's runs to a second page
        pages = [p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages]
        [closing] = [p for p in pages if "Yours sincerely," in p]
        assert "The Secretariat, Centre for Advancing Practice" in closing, path.name
    record = "".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO((made.path / "decision-record.pdf").read_bytes())).pages
    )
    assert "Summary of outcomes" in record and "Cut-line" not in record
    assert "Reviewer 1" in record and "reviewer1@panel.example" not in record, "anonymised"
