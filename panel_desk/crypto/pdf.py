"""PAdES signatures on PDFs with pyHanko: signing (one incremental revision per signer)
and validation (intact, valid, trusted) against the organisation's certificate authority.

Signatures use the PAdES subfilter (`ETSI.CAdES.detached`, not pyHanko's default
`adbe.pkcs7.detached`), SHA-256 and the signer's ECDSA P-256 key, with the signer's
certificate and the authority's embedded, so a PDF reader that trusts the authority's
certificate shows every signature as valid. Several signers sign one after another, each
adding an incremental update; earlier signatures then cover "the entire revision", which
pyHanko and PDF readers accept as long as the later revisions only add signatures.

pyHanko (with asn1crypto and aiohttp) is imported when a PDF is first signed or checked:
it takes a third of a second that the app's start need not pay (panel-desk bench).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from panel_desk.crypto.signing import SigningIdentity
from panel_desk.errors import BadInput, VerificationFailed

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def signature_count(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return len(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)


class PdfSigner:
    """One identity's pyHanko signer, made once and used for many PDFs (a pack's letters:
    loading the key and certificates again for each was a sixth of signing a letter)."""

    def __init__(self, identity: SigningIdentity) -> None:
        if identity.certificate is None or identity.authority is None:
            raise BadInput(
                identity.email, "has no certificate from the hub's authority, so cannot sign a PDF"
            )
        from asn1crypto import keys as asn1_keys
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        self.email = identity.email
        # The key goes to pyHanko in memory, as PKCS#8 DER; it is never written anywhere.
        key = asn1_keys.PrivateKeyInfo.load(
            identity.private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self._signer = signers.SimpleSigner(
            signing_cert=_asn1_certificate(identity.certificate),
            signing_key=key,
            cert_registry=SimpleCertificateStore.from_certs(
                [_asn1_certificate(identity.authority)]
            ),
        )

    def sign(
        self,
        pdf: bytes,
        *,
        reason: str = "",
        location: str = "",
        field_name: str | None = None,
        bytes_reserved: int | None = None,
    ) -> bytes:
        """`pdf` with one more PAdES signature, as `sign_pdf` says."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name=field_name or f"Signature{signature_count(pdf) + 1}",
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason or None,
            location=location or None,
            name=self.email,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        return signers.sign_pdf(
            writer, meta, signer=self._signer, bytes_reserved=bytes_reserved
        ).getvalue()


def sign_pdf(
    pdf: bytes,
    identity: SigningIdentity,
    *,
    reason: str = "",
    location: str = "",
    field_name: str | None = None,
    bytes_reserved: int | None = None,
) -> bytes:
    """`pdf` with one more PAdES signature by `identity`, added as an incremental update.

    The identity needs its certificate and the authority's (BadInput otherwise). The field
    is named `Signature<n>` after the signatures already there, unless `field_name` is given.
    `bytes_reserved` sets the room kept for the signature, sparing pyHanko a trial signing
    to estimate it (most of the time of a small PDF's signing; see packs.py's letters).
    """
    return PdfSigner(identity).sign(
        pdf,
        reason=reason,
        location=location,
        field_name=field_name,
        bytes_reserved=bytes_reserved,
    )


@dataclass(frozen=True)
class PdfSignatureCheck:
    """What pyHanko found of one signature in a PDF."""

    field: str
    signer: str  # the e-mail in the signing certificate, or its common name
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature is mathematically sound for the certificate's key
    trusted: bool  # the certificate chains to one of the trust roots given
    coverage: str  # "entire file", "entire revision", …
    modifications: str  # what later revisions changed, as pyHanko names it
    bottom_line: bool  # pyHanko's overall judgement (the above and permitted changes)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.bottom_line

    def problems(self) -> list[str]:
        who = f"signature {self.field} ({self.signer})"
        if self.error:
            return [f"{who} could not be validated: {self.error}"]
        # pyHanko does not judge trust for a signature that is broken: say the first thing.
        if not self.intact:
            return [f"{who}: the signed content was changed"]
        if not self.valid:
            return [f"{who}: the signature is not valid"]
        if not self.trusted:
            return [f"{who}: not issued by the certificate authority trusted here"]
        if not self.bottom_line:
            return [f"{who}: later changes to the document are not permitted ones"]
        return []


def _signer_of(status: PdfSignatureStatus) -> str:
    subject = status.signing_cert.subject.native
    return str(subject.get("email_address") or subject.get("common_name") or "?")


def _coverage(level: SignatureCoverageLevel | None) -> str:
    return level.name.lower().replace("_", " ") if level is not None else "unknown"


def validate_pdf(
    pdf: bytes, trust_roots: Sequence[x509.Certificate], *, source: str
) -> list[PdfSignatureCheck]:
    """A check per signature in `pdf`, in signing order.

    VerificationFailed(source, …) when the file cannot be read as a PDF at all.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds on a damaged file
        raise VerificationFailed(source, [f"cannot be read as a PDF ({exc})"]) from None
    context_roots = [_asn1_certificate(c) for c in trust_roots]
    checks = []
    for signature in embedded:
        try:
            status = validate_pdf_signature(
                signature, ValidationContext(trust_roots=context_roots, allow_fetching=False)
            )
        except Exception as exc:  # a damaged signature must be reported, not crash
            checks.append(
                PdfSignatureCheck(
                    signature.field_name, "?", False, False, False, "unknown", "", False, str(exc)
                )
            )
            continue
        checks.append(
            PdfSignatureCheck(
                field=signature.field_name,
                signer=_signer_of(status),
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                coverage=_coverage(status.coverage),
                modifications=status.modification_level.name.lower().replace("_", " ")
                if status.modification_level is not None
                else "",
                bottom_line=status.bottom_line,
            )
        )
    return checks


def pdf_problems(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    source: str,
    expected_signers: Sequence[str] = (),
) -> list[str]:
    """Every reason `pdf` is not soundly signed (empty when it is), for a verify report.

    `expected_signers` (e-mails) must each have signed, and no one else.
    """
    try:
        checks = validate_pdf(pdf, trust_roots, source=source)
    except VerificationFailed as exc:
        return exc.failures
    if not checks:
        return ["has no signature"]
    problems = [problem for check in checks for problem in check.problems()]
    if expected_signers:
        signed = {check.signer.lower() for check in checks}
        wanted = {email.lower() for email in expected_signers}
        problems += [f"is not signed by {email}" for email in sorted(wanted - signed)]
        problems += [
            f"is signed by {email}, who is not a signatory" for email in sorted(signed - wanted)
        ]
    return problems
