"""PAdES on PDFs: two signers, one after the other, each intact, valid and trusted against
the hub's authority in pyHanko's own validator; anything else is reported."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from panel_desk.crypto.keys import generate_private_key
from panel_desk.crypto.pdf import _asn1_certificate as asn1
from panel_desk.crypto.pdf import pdf_problems, sign_pdf, validate_pdf
from panel_desk.crypto.signing import SigningIdentity
from panel_desk.errors import BadInput
from tests.crypto.support import Authority

SIGNATORIES = ["chair@centre.example", "eag.member@centre.example"]


def decision_record() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    page.drawString(72, 770, "Decision record: GW-2026-01")
    page.drawString(72, 750, "Outcome: approved with conditions")
    page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hub() -> Authority:
    return Authority()


@pytest.fixture(scope="module")
def signed(hub: Authority) -> bytes:
    pdf = decision_record()
    for email in SIGNATORIES:
        pdf = sign_pdf(pdf, hub.identity(email, email.split("@")[0]), reason="EAG sign-off")
    return pdf


def test_two_signers_are_each_intact_valid_and_trusted_in_pyhankos_validator(
    hub: Authority, signed: bytes
) -> None:
    reader = PdfFileReader(io.BytesIO(signed))
    assert len(reader.embedded_signatures) == 2
    for embedded in reader.embedded_signatures:
        assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
        status = validate_pdf_signature(
            embedded, ValidationContext(trust_roots=[asn1(hub.certificate)])
        )
        assert (status.intact, status.valid, status.trusted, status.bottom_line) == (
            True,
            True,
            True,
            True,
        )


def test_our_report_agrees_and_names_each_signer(hub: Authority, signed: bytes) -> None:
    checks = validate_pdf(signed, [hub.certificate], source="decision.pdf")

    assert [(c.field, c.signer, c.ok) for c in checks] == [
        ("Signature1", SIGNATORIES[0], True),
        ("Signature2", SIGNATORIES[1], True),
    ]
    assert [c.coverage for c in checks] == ["entire revision", "entire file"]
    assert pdf_problems(signed, [hub.certificate], source="d", expected_signers=SIGNATORIES) == []


def test_against_another_authority_nothing_is_trusted(signed: bytes) -> None:
    problems = pdf_problems(signed, [Authority().certificate], source="decision.pdf")

    assert problems == [
        f"signature Signature{n} ({email}): not issued by the certificate authority trusted here"
        for n, email in enumerate(SIGNATORIES, start=1)
    ]


def test_a_changed_byte_or_a_missing_signatory_is_reported(hub: Authority, signed: bytes) -> None:
    tampered = bytearray(signed)
    at = signed.index(b"Outcome: approved")
    tampered[at] ^= 0x01

    problems = pdf_problems(bytes(tampered), [hub.certificate], source="decision.pdf")

    assert problems and all("the signed content was changed" in p for p in problems)
    assert pdf_problems(
        signed, [hub.certificate], source="d", expected_signers=[*SIGNATORIES, "x@centre.example"]
    ) == ["is not signed by x@centre.example"]


def test_an_unreadable_or_unsigned_pdf_is_reported(hub: Authority) -> None:
    assert pdf_problems(b"%PDF-1.7 not really", [hub.certificate], source="d")[0].startswith(
        "cannot be read as a PDF"
    )
    assert pdf_problems(decision_record(), [hub.certificate], source="d") == ["has no signature"]


def test_signing_needs_a_certificate_from_the_authority() -> None:
    bare = SigningIdentity("chair@centre.example", generate_private_key())

    with pytest.raises(BadInput, match="has no certificate from the hub's authority"):
        sign_pdf(decision_record(), bare)
