"""Enrolment's cryptography: one-time codes, and the key request a reviewer sends the hub.

The secretariat gives a person a one-time code out of band (in person, by phone, on paper).
The person's machine sends the hub a request: their e-mail and a PKCS#10 key request (which
proves they hold the private key), with an HMAC-SHA256 over both keyed by a hash of the code.
The hub keeps only that hash, never the code; it checks the HMAC and issues a certificate.
Someone holding a copy of a packet, or the request file on its way, cannot enrol a key of
their own for that person: without the code they cannot make a proof the hub accepts, and
changing the key in an intercepted request breaks its proof.

Codes are 16 characters of Crockford's base32 (80 random bits), shown in groups of four;
typing is forgiving (case, spaces, hyphens, O for 0, I or L for 1).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from panel_desk.crypto.authority import make_key_request, read_key_request
from panel_desk.crypto.keys import PrivateKey, PublicKey
from panel_desk.crypto.signing import canonical_json
from panel_desk.errors import BadInput

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
FORMAT = "panel_desk-enrolment-request"
VERSION = 1
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str, source: str = "--code") -> str:
    code = "".join(text.split()).replace("-", "").upper().translate(_CONFUSABLE)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise BadInput(
            source, "is not an enrolment code (16 letters and digits, like ABCD-EFGH-JKMN-PQRS)"
        )
    return code


def code_key(email: str, code: str) -> str:
    """The hash of a code the hub keeps, which also keys the request's HMAC (hex)."""
    material = b"panel_desk enrolment code 1\x00" + email.strip().lower().encode("utf-8")
    return hashlib.sha256(material + b"\x00" + normalise_code(code).encode("ascii")).hexdigest()


def _proof(key_hex: str, body: dict[str, Any]) -> str:
    return hmac.new(bytes.fromhex(key_hex), canonical_json(body), hashlib.sha256).hexdigest()


def build_request(key: PrivateKey, email: str, code: str) -> bytes:
    """The request file's bytes: e-mail, key request, and the proof keyed by the code."""
    email = email.strip().lower()
    body = {"format": FORMAT, "version": VERSION, "email": email}
    body["key_request"] = make_key_request(key, email)
    document = {**body, "proof": _proof(code_key(email, code), body)}
    return json.dumps(document, indent=2).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class EnrolmentRequest:
    email: str
    public_key: PublicKey
    body: dict[str, Any]
    proof: str

    def proven_by(self, code_key_hex: str) -> bool:
        """Whether the request was made with the code whose hash is `code_key_hex`."""
        return hmac.compare_digest(_proof(code_key_hex, self.body), self.proof)


def read_request(raw: bytes, source: str) -> EnrolmentRequest:
    """Parse and check a request file; BadInput naming `source` for anything wrong in it."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadInput(source, "is not an enrolment request (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BadInput(source, "is not an enrolment request")
    version = document.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise BadInput(
            source, f"is an enrolment request of format version {version}, newer than this one"
        )
    fields = ("email", "key_request", "proof")
    if not all(isinstance(document.get(name), str) for name in fields):
        raise BadInput(source, "lacks one of " + ", ".join(fields))
    email = document["email"].strip().lower()
    requested_for, public = read_key_request(document["key_request"], source)
    if requested_for != email:
        raise BadInput(source, f"its key request is for {requested_for or 'nobody'}, not {email}")
    body = {k: document[k] for k in ("format", "version", "email", "key_request")}
    return EnrolmentRequest(email, public, body, document["proof"])
