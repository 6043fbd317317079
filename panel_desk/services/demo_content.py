"""The made-up world the demo round lives in: organisations, people, credential areas, texts.

Every name here is invented. The areas are ones a Centre panel would really see; the
texts use the process's own words so the demo reads like real panel work.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer


@dataclass(frozen=True)
class OrganisationSeed:
    name: str
    domain: str
    kind: str  # "hei", "trust", "hub", "charity", "private"


ORGANISATIONS = (
    OrganisationSeed("University of Northmoor", "northmoor.ac.uk", "hei"),
    OrganisationSeed("Kingsbridge University", "kingsbridge.ac.uk", "hei"),
    OrganisationSeed("University of Eastmere", "eastmere.ac.uk", "hei"),
    OrganisationSeed("Wessex Vale University", "wessexvale.ac.uk", "hei"),
    OrganisationSeed("Thamesreach University", "thamesreach.ac.uk", "hei"),
    OrganisationSeed("University of the Marches", "marches.ac.uk", "hei"),
    OrganisationSeed(
        "Harrowgate Teaching Hospitals NHS Foundation Trust", "harrowgate.nhs.uk", "trust"
    ),
    OrganisationSeed("Calderbrook Community Health NHS Trust", "calderbrook.nhs.uk", "trust"),
    OrganisationSeed("Severnside Partnership NHS Foundation Trust", "severnside.nhs.uk", "trust"),
    OrganisationSeed(
        "Riverside Ambulance Service NHS Trust", "riverside-ambulance.nhs.uk", "trust"
    ),
    OrganisationSeed("North Fells Primary Care Training Hub", "northfells-hub.org.uk", "hub"),
    OrganisationSeed("Meridian Cancer Alliance", "meridiancancer.org.uk", "hub"),
    OrganisationSeed("Lowther Hospice", "lowtherhospice.org.uk", "charity"),
    OrganisationSeed("Apex Clinical Education Ltd", "apexclinical.co.uk", "private"),
)
HEIS = tuple(o for o in ORGANISATIONS if o.kind == "hei")
PRACTICE = tuple(o for o in ORGANISATIONS if o.kind != "hei")


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    credential: str  # the credential's title
    target_group: str
    need: str


AREAS = (
    Area(
        "frailty",
        "Frailty",
        "Advanced assessment and management of older people living with frailty",
        "Nurses, physiotherapists, occupational therapists, paramedics and pharmacists",
        "Comprehensive geriatric assessment in the community is delivered by too few "
        "practitioners; admissions of older people living with frailty rose 18% in three years.",
    ),
    Area(
        "first-contact-msk",
        "First-contact musculoskeletal practice",
        "First-contact musculoskeletal practice in primary care",
        "Physiotherapists, podiatrists and osteopaths working in primary care",
        "One in five GP consultations is musculoskeletal; first-contact roles have grown "
        "faster than the education that prepares practitioners for them.",
    ),
    Area(
        "acute-medicine",
        "Acute medicine",
        "Advanced practice in acute medicine and same-day emergency care",
        "Nurses, paramedics, physician associates and pharmacists",
        "Same-day emergency care units need advanced practitioners able to assess, "
        "diagnose and discharge; most units report vacancies.",
    ),
    Area(
        "mental-health",
        "Mental health crisis care",
        "Advanced practice in community mental health crisis care",
        "Mental health nurses, occupational therapists, social workers and paramedics",
        "Crisis teams need practitioners who manage risk and uncertainty independently, "
        "and the NHS Long Term Plan commits to 24/7 community crisis provision.",
    ),
    Area(
        "cancer-care",
        "Acute oncology",
        "Advanced practice in acute oncology",
        "Nurses, therapeutic radiographers and pharmacists",
        "Rising numbers of people living with cancer present acutely with treatment "
        "toxicities; acute oncology services are stretched across every alliance.",
    ),
    Area(
        "palliative-care",
        "Palliative and end-of-life care",
        "Palliative and end-of-life care in the community",
        "Nurses, paramedics, occupational therapists and pharmacists",
        "Most people wish to die at home; community teams lack practitioners with advanced "
        "capability in complex symptom management.",
    ),
    Area(
        "diabetes",
        "Diabetes",
        "Advanced diabetes care in primary and community settings",
        "Nurses, dietitians, podiatrists and pharmacists",
        "Diabetes prevalence is rising and specialist capacity is concentrated in hospitals.",
    ),
    Area(
        "respiratory",
        "Respiratory care",
        "Advanced respiratory practice: breathlessness and long-term conditions",
        "Physiotherapists, nurses and pharmacists",
        "Breathlessness services need practitioners able to diagnose and manage "
        "long-term respiratory conditions across settings.",
    ),
    Area(
        "learning-disability",
        "Learning disability and autism",
        "Advanced practice with people with a learning disability and autistic people",
        "Learning disability nurses, speech and language therapists, psychologists",
        "People with a learning disability die on average twenty years earlier; reasonable "
        "adjustments need advanced capability across services.",
    ),
    Area(
        "urgent-care",
        "Urgent and unscheduled care",
        "Urgent and unscheduled care in the community",
        "Paramedics, nurses and physiotherapists",
        "Ambulance services and urgent treatment centres need practitioners who can see, "
        "treat and refer safely without conveyance to hospital.",
    ),
)

FIRST_NAMES = (
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Eilidh",
    "Farah",
    "Gareth",
    "Hannah",
    "Idris",
    "Jo",
    "Kwame",
    "Leah",
    "Mohammed",
    "Niamh",
    "Oluwaseun",
    "Priya",
    "Rhys",
    "Sana",
    "Tomasz",
    "Uma",
    "Vikram",
    "Wendy",
    "Xavier",
    "Yusuf",
    "Zara",
    "Aled",
    "Bronwen",
    "Callum",
    "Deepa",
    "Emeka",
    "Fiona",
    "Grace",
    "Harriet",
    "Imran",
    "Jasmine",
    "Kieran",
    "Lucy",
    "Marcus",
)
SURNAMES = (
    "Okafor",
    "Hughes",
    "Patel",
    "Lindqvist",
    "MacLeod",
    "Rahman",
    "Evans",
    "Brennan",
    "Mensah",
    "Kowalski",
    "Shah",
    "O'Neill",
    "Adeyemi",
    "Thompson",
    "Chaudhry",
    "Fraser",
    "Nakamura",
    "Williams",
    "Abiodun",
    "Clarke",
    "Haddad",
    "Morgan",
    "Osei",
    "Pritchard",
    "Quinn",
    "Reid",
    "Singh",
    "Turner",
    "Varga",
    "Whitfield",
    "Yilmaz",
    "Zhou",
)

SKILL_TAGS = ("curriculum", "assessment", "resources", "ppi")

FIELD_TEXT = {
    "lead_representative": "{lead_person}, {lead}",
    "area_of_practice": "{area_name}",
    "target_group": "{target_group}",
    "workforce_need_evidence": "{need}",
    "existing_provision": "Existing modules at {partner} cover parts of the area but none "
    "develops the capabilities for the entrustable professional activity at level 7.",
    "development_group": "{lead} with {partner}; includes practitioners from every profession "
    "in the target group, an educator in level 7 assessment and two public/patient partners.",
    "academic_level": "Level 7",
    "notional_learning_volume": "{hours} hours (indicative 30 credits at level 7)",
    "endorsed_credential": "{credential}",
    "provider_type": "{provider_type}",
    "delivery_lead": "{lead_person}",
    "delivery_start": "2027-{month:02d}-01",
    "planned_cohort_size": "{cohort}",
    "practice_partners": "{partner}; supervised practice placements agreed for every learner",
    "review_type": "Periodic review for renewal of endorsement",
    "reporting_period": "2025-26",
    "number_enrolled": "{cohort}",
    "number_completed": "{completed}",
}

GOOD_COMMENTS = (
    "Clear evidence, well referenced to the Centre's criteria.",
    "Convincing case; the workforce data are recent and national.",
    "Well argued, with strong input from every profession in the target group.",
    "Meets the criterion fully; the mapping to the capability framework is explicit.",
    "Strong, realistic plan with named leads and supervised practice arranged.",
)
MIXED_COMMENTS = (
    "Broadly meets the criterion but the evidence of scale is regional only.",
    "Partly convincing: the assessment strategy needs more detail on reliability.",
    "The target group is appropriate, though pre-requisites are not yet justified.",
    "Reasonable, but overlaps with an existing credential should be addressed.",
)
WEAK_COMMENTS = (
    "The evidence offered does not show a need at scale.",
    "Existing provision appears to meet this need already; the proposal does not show otherwise.",
    "Assessment is described only in outline; validity and fairness are not addressed.",
    "No public/patient involvement is evident in the development of this material.",
)


def person_name(index: int) -> tuple[str, str]:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    surname = SURNAMES[(index * 7 + index // len(FIRST_NAMES)) % len(SURNAMES)]
    return first, surname


def email_for(first: str, surname: str, domain: str, index: int) -> str:
    local = f"{first}.{surname}".lower().replace("'", "")
    suffix = index // (len(FIRST_NAMES) * len(SURNAMES))
    return f"{local}{suffix or ''}@{domain}"


def document_name(pattern: str, ref: str) -> str:
    """A file name the glob matches: `*proposal*` gives GW-01-proposal.pdf."""
    core = pattern.strip("*").replace("*", "").strip() or "document"
    core = core.replace(" ", "-")
    if pattern.startswith("*"):
        return f"{ref}-{core}.pdf".replace("--", "-")
    return f"{core}-{ref}.pdf".replace("--", "-")


def document_pdf(title: str, subtitle: str, paragraphs: list[str]) -> bytes:
    """A small, real PDF for a demo document."""
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="panel_desk demo", invariant=True
    )
    story = [
        Paragraph(title, styles["Title"]),
        Paragraph(subtitle, styles["Heading3"]),
        Spacer(1, 12),
    ]
    story += [Paragraph(text, styles["BodyText"]) for text in paragraphs]
    doc.build(story)
    return buffer.getvalue()
