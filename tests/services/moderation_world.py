"""A small, fully controlled round for the moderation and ranking tests.

The demo's scores are random; these tests need to say exactly what each reviewer gave,
so this builds a round with the real services (round, criteria) and writes people,
submissions, assignments, reviews and scores directly, as a return import would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from panel_desk.services import rounds
from panel_desk.services.database import Database
from panel_desk.store.models import (
    Assignment,
    Criterion,
    Organisation,
    Person,
    PersonRole,
    Review,
    Round,
    Score,
    Stage,
    Submission,
)

CHAIR = "chair@centre.example"
SECOND_CHAIR = "second.chair@centre.example"
SECRETARIAT = "secretariat@centre.example"
REVIEWERS = tuple(f"reviewer{n}@panel.example" for n in range(1, 7))
PRIORITY = (
    "priority_of_need",
    "scale_of_need",
    "alignment_with_hee_priorities",
    "value_of_standardised_learning",
    "inclusive_target_group",
)
GATEWAY = (
    "high_priority_need",
    "advanced_level_practice",
    "need_at_scale",
    "not_met_by_existing_provision",
    "structured_standardised_unit",
)
PRIORITISE = "prioritise for supported development"
DO_NOT = "do not prioritise"


@dataclass
class World:
    db: Database
    round_ref: str
    stage: Stage
    submissions: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)

    @property
    def round_id(self) -> int:
        return self.db.read(lambda s: s.scalar(select(Round.id).where(Round.ref == self.round_ref)))

    def criteria(self) -> dict[str, Criterion]:
        def load(session) -> dict[str, Criterion]:
            round_ = session.scalar(select(Round).where(Round.ref == self.round_ref))
            return {
                c.key: c
                for c in session.scalars(
                    select(Criterion).where(Criterion.criteria_set_id == round_.criteria_set_id)
                )
            }

        return self.db.read(load)

    def submission(self, ref: str) -> int:
        """Add a submission `ref` (screened complete) and return its id."""

        def add(session) -> int:
            round_ = session.scalar(select(Round).where(Round.ref == self.round_ref))
            org = session.scalar(select(Organisation).where(Organisation.key == "testshire"))
            if org is None:
                org = Organisation(name="University of Testshire", key="testshire")
                session.add(org)
                session.flush()
            submission = Submission(
                round_id=round_.id,
                ref=ref,
                title=f"Proposal {ref}",
                lead_organisation_id=org.id,
                area="frailty",
                screening_state="complete",
                content_digest=ref.ljust(64, "0"),
            )
            session.add(submission)
            session.flush()
            return submission.id

        self.submissions[ref] = self.db.run(add)
        return self.submissions[ref]

    def review(
        self,
        ref: str,
        reviewer: int,
        scores: dict[str, str],
        recommendation: str | None = None,
        *,
        state: str = "submitted",
        versions: int = 1,
        assignment_state: str = "active",
        comment: str = "",
    ) -> None:
        """Reviewer number `reviewer` (1-based) reviews `ref`: `scores` by criterion key.
        `versions` > 1 writes older versions first (with other values) under the newest."""
        criteria = self.criteria()

        def add(session) -> None:
            person_id = self.people[REVIEWERS[reviewer - 1]]
            assignment = session.scalar(
                select(Assignment).where(
                    Assignment.submission_id == self.submissions[ref],
                    Assignment.person_id == person_id,
                )
            )
            if assignment is None:
                round_ = session.scalar(select(Round).where(Round.ref == self.round_ref))
                assignment = Assignment(
                    round_id=round_.id,
                    submission_id=self.submissions[ref],
                    person_id=person_id,
                    state=assignment_state,
                )
                session.add(assignment)
                session.flush()
            for version in range(1, versions + 1):
                newest = version == versions
                review = Review(
                    assignment_id=assignment.id,
                    version=version,
                    state=state if newest else "submitted",
                    recommendation=recommendation if newest else DO_NOT,
                    comment=comment or f"Overall view of R{reviewer}",
                    no_conflict_certified=True,
                )
                session.add(review)
                session.flush()
                for key, value in scores.items():
                    criterion = criteria[key]
                    given = value if newest else _other(criterion, value)
                    numeric = criterion.scale_kind == "numeric"
                    session.add(
                        Score(
                            review_id=review.id,
                            criterion_id=criterion.id,
                            value=given,
                            points=float(given) if numeric else None,
                            comment=f"R{reviewer} on {key}: {given}",
                        )
                    )
            session.flush()

        self.db.run(add)

    def assign(self, ref: str, email: str) -> None:
        """Assign someone (e.g. a chair who also reviews) without a review yet."""

        def add(session) -> None:
            round_ = session.scalar(select(Round).where(Round.ref == self.round_ref))
            session.add(
                Assignment(
                    round_id=round_.id,
                    submission_id=self.submissions[ref],
                    person_id=self.people[email],
                    state="active",
                )
            )

        self.db.run(add)

    def proposal(
        self,
        ref: str,
        priority: dict[int, tuple[int, ...]],
        gateway: dict[int, str] | None = None,
        recommendation: dict[int, str] | None = None,
    ) -> int:
        """A gateway proposal: `priority[reviewer]` gives five scores in PRIORITY order;
        `gateway[reviewer]` one value for every gateway criterion (default met)."""
        sid = self.submission(ref)
        for reviewer, values in priority.items():
            scores = dict(zip(PRIORITY, (str(v) for v in values), strict=True))
            met = (gateway or {}).get(reviewer, "met")
            scores.update(dict.fromkeys(GATEWAY, met))
            given = (recommendation or {}).get(reviewer, PRIORITISE)
            self.review(ref, reviewer, scores, given)
        return sid


def _other(criterion: Criterion, value: str) -> str:
    if criterion.scale_kind == "numeric":
        assert criterion.min_value is not None and criterion.max_value is not None
        return str(
            criterion.max_value if value != str(criterion.max_value) else criterion.min_value
        )
    options = criterion.options or []
    return next(o for o in options if o != value)


def build_world(db: Database, stage: Stage = Stage.GATEWAY, places: int | None = 2) -> World:
    ref = "GW-T-01" if stage == Stage.GATEWAY else "EN-T-01"

    def setup(session) -> dict[str, int]:
        rounds.create_round(
            session,
            stage=stage,
            ref=ref,
            title="A controlled round",
            places=places if stage == Stage.GATEWAY else None,
        )
        ids: dict[str, int] = {}
        roles = {
            CHAIR: ["moderator"],
            SECOND_CHAIR: ["moderator", "reviewer"],
            SECRETARIAT: ["secretariat"],
            **{email: ["reviewer"] for email in REVIEWERS},
        }
        for email, given in roles.items():
            person = Person(
                email=email,
                name=email.split("@")[0].replace(".", " ").title(),
                roles=[PersonRole(role=r) for r in given],
            )
            session.add(person)
            session.flush()
            ids[email] = person.id
        return ids

    world = World(db, ref, stage)
    world.people = db.run(setup)
    return world
