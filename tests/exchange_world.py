"""A hub and a reviewer's laptop for the exchange tests: the demo as the hub, with its
certificate authority, the secretariat enrolled on the hub, and a reviewer enrolled with a
one-time code; packets, reviewer databases and returns made the way people make them.

Both "machines" share the test's private in-memory keyring (tests/crypto/support.py
keys_kept_apart), which is harmless: keys are filed by person, and the hub trusts only the
key it enrolled.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keyring

from panel_desk.errors import BadInput
from panel_desk.services import enrolment, keys, review_views, reviewing, roster
from panel_desk.services.database import Database, open_database
from panel_desk.services.exchange import packet_import, packets, returns
from panel_desk.services.review_rules import ReviewContent, ScoreEntry
from panel_desk.services.reviewing import Progress

ROUND = "EN-2026-02"
ORGANISATION = "Centre for Education Assurance"
SESSION_KEYRING = keyring.get_keyring()
"""The keyring the demo template was built with (tests/conftest.py), holding the keys the
demo made (its authority's, its signatories'), for a test's own keyring to start from."""


def inherit_demo_keys() -> None:
    """Copy the demo's keys into the test's keyring (tests/crypto/support.keys_kept_apart)."""
    current = keyring.get_keyring()
    inherited = getattr(SESSION_KEYRING, "secrets", None)
    if current is not SESSION_KEYRING and inherited and hasattr(current, "secrets"):
        for name, secret in inherited.items():
            current.secrets.setdefault(name, secret)


def secretariat_of(db: Database) -> str:
    return next(p.email for p in db.read(roster.list_people) if "secretariat" in p.roles)


def choose_reviewer(db: Database, round_ref: str = ROUND) -> str:
    """The reviewer with the most not-started assignments who has submitted one already."""
    best: tuple[int, str] | None = None
    for person in db.read(roster.list_people):
        if "reviewer" not in person.roles:
            continue

        def mine(session, email=person.email):
            round_ = reviewing.resolve_round(session, email, round_ref)
            return reviewing.my_reviews(session, email, round_.id)

        try:
            items = db.read(mine).items
        except Exception:
            continue
        fresh = sum(1 for i in items if i.progress == Progress.NOT_STARTED)
        done = sum(1 for i in items if i.progress == Progress.SUBMITTED)
        if fresh >= 2 and done >= 1 and (best is None or fresh > best[0]):
            best = (fresh, person.email)
    assert best is not None, "the demo has no reviewer with two fresh assignments"
    return best[1]


@dataclass
class World:
    hub_path: Path
    folder: Path
    hub: Database = field(init=False)
    secretariat: str = field(init=False)
    reviewer: str = field(init=False)

    def __post_init__(self) -> None:
        self.hub = open_database(self.hub_path)
        self.secretariat = secretariat_of(self.hub)
        if self.hub.read(keys.authority_summary) is None:
            self.hub.run(keys.set_up_authority, ORGANISATION, self.secretariat)
        else:  # a demo that made its authority (and some people's keys) already
            inherit_demo_keys()
        keys.create_personal_key(self.secretariat)
        self.hub.run(enrolment.enrol_on_hub, self.secretariat, self.secretariat)
        self.reviewer = choose_reviewer(self.hub)
        self.enrol(self.reviewer)

    def enrol(self, email: str) -> None:
        """Code on the hub, key and request on their machine, enrolment on the hub."""
        issued = self.hub.run(enrolment.issue_code, email, self.secretariat)
        keys.create_personal_key(email)
        request = enrolment.make_request(email, issued.code)
        self.hub.run(enrolment.enrol_request, request, f"{email}.pdenrol", self.secretariat)

    def export_packet(self, email: str | None = None, name: str = "packet") -> Path:
        out = self.folder / f"{name}.pdpacket"
        self.hub.run(packets.export_packet, ROUND, email or self.reviewer, out)
        return out

    def reviewer_db(self, name: str = "laptop") -> Database:
        return open_database(self.folder / f"{name}.sqlite")

    def laptop(self, packet: Path | None = None, name: str = "laptop") -> Database:
        """A reviewer's database set up from `packet` (a fresh one when None)."""
        db = self.reviewer_db(name)
        db.run(packet_import.import_packet, packet or self.export_packet())
        return db

    def assignments(self, db: Database, email: str | None = None) -> list[reviewing.MyAssignment]:
        email = email or self.reviewer

        def mine(session):
            try:
                round_ = reviewing.resolve_round(session, email, ROUND)
            except BadInput:
                return ()
            return reviewing.my_reviews(session, email, round_.id).items

        return list(db.read(mine))

    def reviewers(self) -> list[str]:
        """Everyone with an active assignment in the round, on the hub."""
        found = []
        for person in self.hub.read(roster.list_people):
            if "reviewer" in person.roles and self.assignments(self.hub, person.email):
                found.append(person.email)
        return found

    def fresh(self, db: Database) -> list[reviewing.MyAssignment]:
        return [i for i in self.assignments(db) if i.progress == Progress.NOT_STARTED]

    def score(self, db: Database, assignment_id: int, submit: bool = True, tag: str = "") -> None:
        """A complete review of one assignment, saved (and submitted when `submit`)."""
        email = self.reviewer
        form = db.read(review_views.review_form, assignment_id, email)
        content = ReviewContent(
            tuple(
                ScoreEntry(c.key, c.values[0], f"{tag}Comment on {c.key}.") for c in form.criteria
            ),
            form.recommendation.passing[0],
            "Revise the assessment."
            if form.recommendation.passing[0] in form.recommendation.with_conditions
            else "",
            f"{tag}A clear, well-evidenced submission.",
        )
        db.run(reviewing.save_draft, assignment_id, email, content)
        if submit:
            db.run(reviewing.submit_review, assignment_id, email, True)

    def export_return(self, db: Database, name: str = "return") -> Path:
        out = self.folder / f"{name}.pdreturn"
        db.run(returns.export_return, self.reviewer, out, round_ref=ROUND)
        return out

    def close(self) -> None:
        self.hub.close()


# --- exchange files taken apart and put back together -------------------------------------


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(path: Path, members: dict[str, bytes], out: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    out.write_bytes(buffer.getvalue())
    return out


def changed(path: Path, out: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    members = members_of(path)
    change(members)
    return rezip(path, members, out)


def manifest_of(path: Path) -> dict:
    return json.loads(members_of(path)["manifest.json"])


def count_rows(path: Path, sql: str, *args: object) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, args).fetchone()[0]
    finally:
        connection.close()
