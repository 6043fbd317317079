"""The decision record and letters look like documents a public body publishes: measured
where poppler's pdftotext puts every word, no word runs into the margins or off a page,
every page is numbered "n of N", no heading is left alone at the foot of a page, and a
table of reviewers' comments that runs onto another page still names its submission."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from panel_desk.services import signoff
from panel_desk.services.database import open_database
from panel_desk.services.decision_record import decision_record_pdf
from panel_desk.services.letters import letter_pdf
from panel_desk.services.pack_content import PackContent, gather
from panel_desk.services.pdf_layout import MARGIN
from tests.conftest import copy_database
from tests.services.signoff_world import ROUND

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler's pdftotext (poppler-utils) is needed to measure where words fall",
)

XHTML = "{http://www.w3.org/1999/xhtml}"
HEADINGS = re.compile(
    r"^(\d\. |4\.\d+ |About this record|Rationale|Conditions|Feedback to the submitter|"
    r"Moderated scores|Reviewers' comments|Not ranked|Education Assurance Group|"
    r"The panel's feedback|How the submission might be strengthened|Resubmission|"
    r"What the reviewers said|Complaints and appeals)"
)


@dataclass(frozen=True)
class Line:
    top: float
    left: float
    right: float
    text: str


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    lines: tuple[Line, ...]

    @property
    def body(self) -> list[Line]:
        """The lines between the running header and the footer."""
        return [line for line in self.lines if MARGIN + 10 < line.top < self.height - MARGIN]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def pages_of(pdf: bytes, folder: Path, name: str) -> list[Page]:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True
    ).stdout
    pages = []
    for page in ET.fromstring(out).iter(f"{XHTML}page"):
        lines = [
            Line(
                float(line.get("yMin")),
                float(line.get("xMin")),
                float(line.get("xMax")),
                " ".join(word.text or "" for word in line.iter(f"{XHTML}word")),
            )
            for line in page.iter(f"{XHTML}line")
        ]
        pages.append(
            Page(
                float(page.get("width")),
                float(page.get("height")),
                tuple(sorted(lines, key=lambda x: x.top)),
            )
        )
    return pages


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("layout")


@pytest.fixture(scope="module")
def content(signed_demo_template: Path, folder: Path) -> PackContent:
    db = open_database(copy_database(signed_demo_template, folder / "hub.sqlite"))
    try:
        return db.read(lambda s: gather(s, signoff.signoff_status(s, ROUND)))
    finally:
        db.close()


@pytest.fixture(scope="module")
def documents(content: PackContent, folder: Path) -> dict[str, list[Page]]:
    """The demo's decision record and every letter, laid out (unsigned: signing adds no ink)."""
    signer = content.signatories[0].email
    made = {"decision-record": pages_of(decision_record_pdf(content), folder, "record")}
    for record in content.records:
        ref = record.decision.ref
        made[ref] = pages_of(letter_pdf(content, record, signer), folder, ref)
    return made


def test_the_record_has_every_kind_of_page(documents: dict[str, list[Page]]) -> None:
    text = "\n".join(p.text for p in documents["decision-record"])
    for section in (
        "Decision record",
        "1. The round and its stage",
        "2. Criteria",
        "3. Summary of outcomes",
        "Cut-line: 4 places supported",
        "4.1 GW25-01",
        "5. Conflicts of interest",
        "6. Signatories",
        "7. Audit trail and verification",
    ):
        assert section in text


def test_no_word_runs_into_the_margins_or_off_a_page(documents: dict[str, list[Page]]) -> None:
    for name, pages in documents.items():
        for number, page in enumerate(pages, start=1):
            for line in page.lines:
                assert line.left >= MARGIN - 0.5 and line.right <= page.width - MARGIN + 0.5, (
                    f"{name} page {number}: {line.text!r} spans {line.left:.0f}–{line.right:.0f}"
                )
                assert 0 < line.top < page.height, f"{name} page {number}: {line.text!r}"


def test_every_page_is_numbered_n_of_n(documents: dict[str, list[Page]]) -> None:
    for name, pages in documents.items():
        for number, page in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in page.text, f"{name} page {number}"


def test_no_heading_is_left_alone_at_the_foot_of_a_page(documents: dict[str, list[Page]]) -> None:
    for name, pages in documents.items():
        for number, page in enumerate(pages[:-1], start=1):
            last = page.body[-1].text
            assert not HEADINGS.match(last), f"{name} page {number} ends with {last!r}"


def test_a_table_of_comments_running_onto_a_page_names_its_submission(
    documents: dict[str, list[Page]],
) -> None:
    continued = 0
    for number, page in enumerate(documents["decision-record"], start=1):
        body = page.body
        if any(line.text.startswith("Reviewer 1") for line in body):
            assert any(re.search(r"GW25-\d\d", line.text) for line in body), f"page {number}"
            continued += not re.match(r"4\.\d+ ", body[0].text)
    assert continued, "the demo has comments running over a page"


def test_a_letters_closing_never_parts_from_its_signature_line(
    content: PackContent, folder: Path
) -> None:
    """Longer and longer feedback walks the closing down the page and over the break."""
    record = next(r for r in content.records if r.decision.feedback)
    signer = content.signatories[0].email
    for lines in range(48):
        feedback = "\n".join(f"Point {n} the panel raised on the proposal." for n in range(lines))
        longer = dataclasses.replace(
            record, decision=dataclasses.replace(record.decision, feedback=feedback)
        )
        pages = pages_of(letter_pdf(content, longer, signer), folder, f"long-{lines}")
        [closing] = [p for p in pages if "Yours sincerely," in p.text]
        assert "The Secretariat, Centre for Advancing Practice" in closing.text, lines


def test_screening_gaps_are_published_in_the_submitters_words(
    documents: dict[str, list[Page]],
) -> None:
    for name, pages in documents.items():
        text = " ".join(" ".join(p.text for p in pages).split())
        assert "a file named like" not in text and "template field" not in text, name
    letter = " ".join(" ".join(p.text for p in documents["GW25-09"]).split())
    assert "workforce development need: no document sent." in letter


def test_a_signatory_abstaining_on_hundreds_is_laid_out_not_refused(
    content: PackContent, folder: Path
) -> None:
    """A large round's member may abstain on hundreds: the list goes over pages in section
    5 (reportlab refused a table row taller than a page) and is counted in section 6."""
    many = tuple(f"GW25-{n:04d}" for n in range(600))
    first, *others = content.signatories
    wide = dataclasses.replace(
        content, signatories=(dataclasses.replace(first, abstentions=many), *others)
    )

    pages = pages_of(decision_record_pdf(wide), folder, "many-abstentions")

    text = " ".join(" ".join(p.text for p in pages).split())
    assert "600 submissions," in text and "listed in" in text
    assert "GW25-0000" in text and "GW25-0599" in text
