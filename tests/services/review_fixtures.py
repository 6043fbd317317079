"""Finding reviewers in the demo by where their work stands, and complete reviews to write.

The demo is generated, so tests look people up by the state of their assignments rather
than by name: a change to the generator then moves the test to another person, not to
another outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from panel_desk.services import review_views, reviewing, roster
from panel_desk.services.database import Database
from panel_desk.services.review_rules import ReviewContent, ScoreEntry
from panel_desk.services.reviewing import Progress

ENDORSEMENT = "EN-2026-02"
GATEWAY = "GW-2026-01"


@dataclass(frozen=True)
class Pick:
    email: str
    assignment_id: int
    submission_ref: str
    round_ref: str


def reviewers(db: Database) -> list[str]:
    return [p.email for p in db.read(roster.list_people) if "reviewer" in p.roles]


def pick(db: Database, progress: Progress, round_ref: str = ENDORSEMENT, skip: int = 0) -> Pick:
    """The (skip+1)-th assignment in the round at `progress`, over all reviewers."""
    seen = 0
    for email in reviewers(db):

        def listing(session, email=email):
            round_ = reviewing.resolve_round(session, email, round_ref)
            return reviewing.my_reviews(session, email, round_.id)

        try:
            mine = db.read(listing)
        except Exception:
            continue
        for item in mine.items:
            if item.progress == progress:
                if seen == skip:
                    return Pick(email, item.assignment_id, item.submission_ref, round_ref)
                seen += 1
    raise LookupError(f"no assignment {progress} in {round_ref}")


def complete_review(db: Database, chosen: Pick, recommendation: str | None = None) -> ReviewContent:
    """A review of `chosen` with every criterion scored and commented, ready to submit."""
    form = db.read(review_views.review_form, chosen.assignment_id, chosen.email)
    scores = tuple(ScoreEntry(c.key, c.values[0], f"Comment on {c.key}.") for c in form.criteria)
    outcome = recommendation or form.recommendation.passing[0]
    conditions = "Revise the assessment." if outcome in form.recommendation.with_conditions else ""
    return ReviewContent(scores, outcome, conditions, "A clear, well-evidenced submission.")
