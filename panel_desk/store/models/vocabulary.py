"""The words of the process, as the values stored in the database.

They are plain strings in the tables (so a new value never needs a table rebuild) and
these enums are the one place that lists them; services validate against them.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REVIEWER = "reviewer"
    MODERATOR = "moderator"
    EAG = "eag"
    SECRETARIAT = "secretariat"

    @property
    def label(self) -> str:
        return {
            Role.REVIEWER: "Peer reviewer",
            Role.MODERATOR: "Moderation panel chair",
            Role.EAG: "Education Assurance Group member",
            Role.SECRETARIAT: "Secretariat",
        }[self]


class Stage(StrEnum):
    GATEWAY = "gateway"
    ENDORSEMENT = "endorsement"
    PROVIDER_APPROVAL = "provider_approval"
    PERIODIC_REVIEW = "periodic_review"

    @property
    def label(self) -> str:
        return {
            Stage.GATEWAY: "Proposal gateway and prioritisation",
            Stage.ENDORSEMENT: "Specification endorsement",
            Stage.PROVIDER_APPROVAL: "Provider approval",
            Stage.PERIODIC_REVIEW: "Periodic review",
        }[self]


class RoundState(StrEnum):
    """Where a round stands in the pipeline every stage runs."""

    SCREENING = "screening"
    ASSIGNMENT = "assignment"
    PEER_REVIEW = "peer_review"
    MODERATION = "moderation"
    OVERSIGHT = "oversight"
    SIGN_OFF = "sign_off"
    DECIDED = "decided"


class ScreeningState(StrEnum):
    NOT_SCREENED = "not_screened"
    COMPLETE = "complete"
    GAPS_RETURNED = "gaps_returned"
    RESUBMITTED = "resubmitted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class ItemKind(StrEnum):
    """What a screening requirement asks for."""

    FIELD = "field"
    DOCUMENT = "document"


class ConflictSeverity(StrEnum):
    HARD = "hard"
    SOFT = "soft"


class ConflictStatus(StrEnum):
    OPEN = "open"
    DECLARED = "declared"
    CLEARED = "cleared"
    MANAGED = "managed"


class ReviewState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class AssignmentState(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class AppealStatus(StrEnum):
    LODGED = "lodged"
    UPHELD = "upheld"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"
