"""The whole domain model. Importing this package registers every table on `Base.metadata`."""

from panel_desk.store.models.audit import AuditConcern, AuditEvent, AuditHead
from panel_desk.store.models.conflicts import ConflictFlag
from panel_desk.store.models.decisions import Appeal, ModerationItem, Recommendation, SignOff
from panel_desk.store.models.exchange import (
    AttachedReturn,
    ExportedReturn,
    ImportedPacket,
    IssuedPacket,
    ReceivedReturn,
)
from panel_desk.store.models.keys import CertificateAuthority, EnrolmentCode, PersonCertificate
from panel_desk.store.models.people import (
    Affiliation,
    DeclaredInterest,
    ExpertiseTag,
    Organisation,
    OrganisationAlias,
    Person,
    PersonRole,
)
from panel_desk.store.models.registers import Annotation, AnnualReturn, LineageLink
from panel_desk.store.models.reviews import Assignment, Review, Score
from panel_desk.store.models.rounds import CriteriaSet, Criterion, Round
from panel_desk.store.models.submissions import (
    Document,
    DocumentContent,
    NamedPerson,
    ScreeningCheck,
    Submission,
    SubmissionPartner,
    TemplateField,
)
from panel_desk.store.models.vocabulary import (
    AppealStatus,
    AssignmentState,
    ConflictSeverity,
    ConflictStatus,
    ItemKind,
    ReviewState,
    Role,
    RoundState,
    ScreeningState,
    Stage,
)

__all__ = [
    "Affiliation",
    "Annotation",
    "AnnualReturn",
    "Appeal",
    "AppealStatus",
    "Assignment",
    "AssignmentState",
    "AttachedReturn",
    "AuditConcern",
    "AuditEvent",
    "AuditHead",
    "CertificateAuthority",
    "ConflictFlag",
    "ConflictSeverity",
    "ConflictStatus",
    "CriteriaSet",
    "Criterion",
    "DeclaredInterest",
    "Document",
    "DocumentContent",
    "EnrolmentCode",
    "ExpertiseTag",
    "ExportedReturn",
    "ImportedPacket",
    "IssuedPacket",
    "ItemKind",
    "LineageLink",
    "ModerationItem",
    "NamedPerson",
    "Organisation",
    "OrganisationAlias",
    "Person",
    "PersonCertificate",
    "PersonRole",
    "ReceivedReturn",
    "Recommendation",
    "Review",
    "ReviewState",
    "Role",
    "Round",
    "RoundState",
    "Score",
    "ScreeningCheck",
    "ScreeningState",
    "SignOff",
    "Stage",
    "Submission",
    "SubmissionPartner",
    "TemplateField",
]
