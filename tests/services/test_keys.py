"""Keys, enrolment and signatures on the hub: only the key enrolled for a person (with the
one-time code given to them) signs for them; private keys never reach the database."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from reportlab.pdfgen import canvas
from sqlalchemy import select, update

from panel_desk.crypto import keystore
from panel_desk.crypto.authority import certificate_pem
from panel_desk.crypto.keys import generate_private_key
from panel_desk.crypto.pdf import pdf_problems, sign_pdf
from panel_desk.crypto.signing import SigningIdentity, canonical_json, sign_bytes
from panel_desk.errors import BadInput, VerificationFailed
from panel_desk.services import enrolment, key_views, keys, roster, signatures, trust
from panel_desk.services.database import Database, open_database
from panel_desk.services.exchange import container
from panel_desk.store.models import AuditEvent, EnrolmentCode
from tests.crypto.support import (
    Authority,
    MemoryKeyring,
    clear_bytes,
    files_under,
    keys_kept_apart,
)
from tests.dbstate import fingerprint

SECRETARIAT = "sam.secretariat@centre.example"
AMARA = "amara.okafor@northmoor.ac.uk"
BEN = "ben.brennan@marches.ac.uk"
EAG = ["eve.eag@centre.example", "ed.eag@centre.example"]
ROSTER = (
    "email,name,roles,expertise,affiliations,declared_interests\n"
    f"{SECRETARIAT},Sam Secretariat,secretariat,,,\n"
    f"{AMARA},Amara Okafor,reviewer,area:frailty,,\n"
    f"{BEN},Ben Brennan,reviewer,assessment,,\n"
    f"{EAG[0]},Eve Eag,eag,,,\n"
    f"{EAG[1]},Ed Eag,eag,,,\n"
)
PAYLOAD = canonical_json({"round": "GW-2026-01", "reviewer": AMARA, "scores": [3, 4]})


@pytest.fixture(autouse=True)
def ring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MemoryKeyring]:
    with keys_kept_apart(monkeypatch, tmp_path) as memory:
        yield memory


def with_roster(db: Database, folder: Path) -> Database:
    path = folder / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    db.run(roster.import_roster, path)
    return db


@pytest.fixture
def hub(empty_db: Database, tmp_path: Path) -> Database:
    """A hub with a roster and its certificate authority."""
    with_roster(empty_db, tmp_path)
    empty_db.run(keys.set_up_authority, "Centre for Education Assurance", SECRETARIAT)
    return empty_db


def enrol_by_code(hub: Database, email: str, tmp_path: Path) -> enrolment.Enrolled:
    """The whole trip: code on the hub, key and request on the person's machine, enrol."""
    issued = hub.run(enrolment.issue_code, email, SECRETARIAT)
    keys.create_personal_key(email, replace=True)
    request = enrolment.make_request(email, issued.code)
    return hub.run(enrolment.enrol_request, request, f"{email}.pdenrol", SECRETARIAT)


def actions(db: Database) -> list[str]:
    return db.read(lambda s: list(s.scalars(select(AuditEvent.action))))


def secrets_in_clear(folder: Path, keys_: list) -> list[str]:
    """Which of these private keys can be read in clear in any file under `folder`."""
    written = b"".join(p.read_bytes() for p in files_under(folder))
    return [str(i) for i, key in enumerate(keys_) for form in clear_bytes(key) if form in written]


# ---------------------------------------------------------------------------------------
# The authority.


def test_the_hub_sets_up_its_authority_once(hub: Database, ring: MemoryKeyring) -> None:
    summary = hub.read(keys.authority_summary)

    assert summary is not None and summary.holds_key
    assert summary.organisation == "Centre for Education Assurance"
    assert ("panel_desk", f"authority:{summary.fingerprint}") in ring.secrets
    assert "keys.authority_created" in actions(hub)
    assert hub.read(keys.authority_certificate_pem).startswith("-----BEGIN CERTIFICATE-----")

    before = fingerprint(hub.path)
    with pytest.raises(BadInput, match="already issues under one"):
        hub.run(keys.set_up_authority, "Another", SECRETARIAT)
    assert fingerprint(hub.path) == before


def test_without_a_keyring_the_authority_needs_the_passphrase_fallback(
    empty_db: Database, tmp_path: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    before = fingerprint(empty_db.path)

    with pytest.raises(keystore.NoSecureKeyring, match="will not be kept in clear"):
        empty_db.run(keys.set_up_authority, "Centre", SECRETARIAT)
    assert fingerprint(empty_db.path) == before

    empty_db.run(keys.set_up_authority, "Centre", SECRETARIAT, passphrase="a long passphrase")
    key = empty_db.read(keys.authority_key, passphrase="a long passphrase")
    assert secrets_in_clear(tmp_path, [key]) == []
    with pytest.raises(keystore.PassphraseNeeded):
        empty_db.read(keys.authority_key)


def test_a_code_cannot_be_issued_where_there_is_no_authority(empty_db, tmp_path) -> None:
    with_roster(empty_db, tmp_path)

    with pytest.raises(BadInput, match="does not issue certificates"):
        empty_db.run(enrolment.issue_code, AMARA, SECRETARIAT)


# ---------------------------------------------------------------------------------------
# Enrolment with a one-time code.


def test_enrolment_by_code_binds_the_persons_key_and_a_return_then_verifies(
    hub: Database, tmp_path: Path
) -> None:
    done = enrol_by_code(hub, AMARA, tmp_path)
    reviewer = keys.signing_identity(None, AMARA)  # the reviewer's machine: no certificate yet

    verified = hub.read(
        signatures.verify_enrolled,
        PAYLOAD,
        sign_bytes(PAYLOAD, reviewer).to_bytes(),
        expected_signer=AMARA,
        subject="amara.pdreturn",
    )

    assert (done.email, done.fingerprint) == (AMARA, reviewer.key_fingerprint)
    assert verified.signer == AMARA and verified.name == "Amara Okafor"
    assert {"keys.enrolment_code_issued", "keys.enrolled"} <= set(actions(hub))
    states = {row.email: row.state for row in hub.read(key_views.key_register)}
    assert states[AMARA] == key_views.ENROLLED and states[BEN] == key_views.NOT_ENROLLED


def test_only_a_hash_of_the_code_is_kept(hub: Database, tmp_path: Path) -> None:
    issued = hub.run(enrolment.issue_code, AMARA, SECRETARIAT)
    hub.close()

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("hub.sqlite*"))

    assert issued.code.encode() not in stored
    assert issued.code.replace("-", "").encode() not in stored


def test_a_repeated_enrolment_changes_nothing(hub: Database, tmp_path: Path) -> None:
    issued = hub.run(enrolment.issue_code, AMARA, SECRETARIAT)
    keys.create_personal_key(AMARA)
    request = enrolment.make_request(AMARA, issued.code)
    hub.run(enrolment.enrol_request, request, "amara.pdenrol", SECRETARIAT)
    before = fingerprint(hub.path)

    again = hub.run(enrolment.enrol_request, request, "amara.pdenrol", SECRETARIAT)

    assert again.already
    assert fingerprint(hub.path) == before


@pytest.mark.parametrize("mistake", ["wrong code", "used code", "withdrawn code", "expired code"])
def test_a_request_without_a_live_code_is_refused_and_changes_nothing(
    hub: Database, mistake: str
) -> None:
    first = hub.run(enrolment.issue_code, AMARA, SECRETARIAT)
    keys.create_personal_key(AMARA)
    code = first.code
    if mistake == "wrong code":
        code = enrolment.proof.new_code()
    elif mistake == "used code":
        hub.run(
            enrolment.enrol_request,
            enrolment.make_request(AMARA, code),
            "first.pdenrol",
            SECRETARIAT,
        )
        keys.create_personal_key(AMARA, replace=True)  # then a new key, with the same code
    elif mistake == "withdrawn code":
        hub.run(enrolment.issue_code, AMARA, SECRETARIAT)  # a newer code replaces it
    else:
        with hub.transaction() as session:
            yesterday = datetime.now(UTC) - timedelta(days=1)
            session.execute(update(EnrolmentCode).values(expires_at=yesterday))
    request = enrolment.make_request(AMARA, code)
    before = fingerprint(hub.path)

    with pytest.raises(BadInput) as refused:
        hub.run(enrolment.enrol_request, request, "amara.pdenrol", SECRETARIAT)

    expected = {
        "wrong code": "was not made with an enrolment code issued to " + AMARA,
        "used code": "uses an enrolment code that was used",
        "withdrawn code": "uses an enrolment code that was withdrawn",
        "expired code": "uses an enrolment code that expired on",
    }[mistake]
    assert str(refused.value).startswith("amara.pdenrol: ")
    assert expected in str(refused.value)
    assert fingerprint(hub.path) == before


def test_a_copy_of_the_packet_cannot_enrol_a_key_of_its_own(hub: Database) -> None:
    """Someone who intercepts Amara's request swaps in their own key: the proof breaks."""
    issued = hub.run(enrolment.issue_code, AMARA, SECRETARIAT)
    keys.create_personal_key(AMARA)
    document = json.loads(enrolment.make_request(AMARA, issued.code))
    document["key_request"] = enrolment.proof.make_key_request(generate_private_key(), AMARA)

    with pytest.raises(BadInput, match="was not made with an enrolment code issued to"):
        hub.run(
            enrolment.enrol_request, json.dumps(document).encode(), "forged.pdenrol", SECRETARIAT
        )


def test_a_request_for_someone_off_the_roster_is_refused(hub: Database) -> None:
    keys.create_personal_key("stranger@example.org")
    request = enrolment.make_request("stranger@example.org", enrolment.proof.new_code())

    with pytest.raises(BadInput, match="not on this hub's roster"):
        hub.run(enrolment.enrol_request, request, "s.pdenrol", SECRETARIAT)


# ---------------------------------------------------------------------------------------
# Verifying what people send the hub.


def test_unenrolled_forged_revoked_and_changed_returns_fail_naming_the_signer(
    hub: Database, tmp_path: Path
) -> None:
    enrol_by_code(hub, AMARA, tmp_path)
    amara = keys.signing_identity(None, AMARA)
    keys.create_personal_key(BEN)
    ben = keys.signing_identity(None, BEN)
    forger = SigningIdentity(AMARA, generate_private_key())  # a key made from a packet copy

    def failures(payload: bytes, identity: SigningIdentity, expected: str) -> list[str]:
        with pytest.raises(VerificationFailed) as failed:
            hub.read(
                signatures.verify_enrolled,
                PAYLOAD,
                sign_bytes(payload, identity),
                expected_signer=expected,
                subject="r.pdreturn",
            )
        assert failed.value.subject == "r.pdreturn"
        return failed.value.failures

    assert failures(PAYLOAD, ben, BEN) == [f"signed by {BEN}, who has no enrolled key on this hub"]
    assert failures(PAYLOAD, ben, AMARA) == [f"signed by {BEN}, but it must be signed by {AMARA}"]
    [forged] = failures(PAYLOAD, forger, AMARA)
    assert forged.startswith(f"signed by {AMARA} with a key that is not the one enrolled for them")
    assert failures(PAYLOAD + b" ", amara, AMARA) == [
        f"the signature of {AMARA} does not match the content: the content was changed after "
        "signing, or it was signed with another key"
    ]
    stranger = SigningIdentity("nobody@example.org", generate_private_key())
    assert failures(PAYLOAD, stranger, "nobody@example.org") == [
        "signed by nobody@example.org, who is not on this hub's roster"
    ]

    hub.run(enrolment.revoke, AMARA, "laptop stolen", SECRETARIAT)
    [revoked] = failures(PAYLOAD, amara, AMARA)
    assert revoked.startswith(f"signed by {AMARA}: the key that signed was enrolled for {AMARA}")
    assert "revoked on" in revoked and "(laptop stolen)" in revoked


def test_a_new_key_supersedes_the_old_one_and_revoking_distrusts_it(hub: Database) -> None:
    """What an old key signed while in force stands (sign-off); it signs no new return.
    A revoked key's signatures are not trusted at all."""
    keys.create_personal_key(EAG[0])
    first = hub.run(enrolment.enrol_on_hub, EAG[0], SECRETARIAT)
    old = hub.read(keys.signing_identity, EAG[0], require_certificate=True)
    signed_off = sign_bytes(PAYLOAD, old)

    keys.create_personal_key(EAG[0], replace=True)
    second = hub.run(enrolment.enrol_on_hub, EAG[0], SECRETARIAT)

    assert second.replaced == first.fingerprint
    register = {row.email: row for row in hub.read(key_views.key_register)}
    assert (register[EAG[0]].state, register[EAG[0]].fingerprint) == (
        "enrolled",
        second.fingerprint,
    )
    verified = hub.read(signatures.verify_under_authority, PAYLOAD, signed_off, subject="sign-off")
    assert verified.key_fingerprint == first.fingerprint
    with pytest.raises(VerificationFailed) as refused:
        hub.read(
            signatures.verify_enrolled, PAYLOAD, signed_off, expected_signer=EAG[0], subject="r"
        )
    assert refused.value.failures[-1].startswith(
        f"the key that signed was enrolled for {EAG[0]} until "
    )
    assert refused.value.failures[-1].endswith("when a newer key replaced it")

    new = hub.read(keys.signing_identity, EAG[0], require_certificate=True)
    later = sign_bytes(PAYLOAD, new)
    hub.run(enrolment.revoke, EAG[0], "laptop stolen", SECRETARIAT)
    with pytest.raises(VerificationFailed, match=r"revoked on .* \(laptop stolen\)"):
        hub.read(signatures.verify_under_authority, PAYLOAD, later, subject="sign-off")
    hub.read(signatures.verify_under_authority, PAYLOAD, signed_off, subject="sign-off")
    assert {r.email: r.state for r in hub.read(key_views.key_register)}[EAG[0]] == "revoked"


def test_the_container_verifier_refuses_a_forged_return_by_file_name(
    hub: Database, tmp_path: Path
) -> None:
    enrol_by_code(hub, AMARA, tmp_path)
    header = {"reviewer": AMARA}
    good, forged = tmp_path / "good.pdreturn", tmp_path / "forged.pdreturn"
    amara = keys.signing_identity(None, AMARA)
    forger = SigningIdentity(AMARA, generate_private_key())
    container.write_container(
        good, "return", 1, header, {"r.json": b"{}"}, keys.manifest_signer(amara)
    )
    container.write_container(
        forged, "return", 1, header, {"r.json": b"{}"}, keys.manifest_signer(forger)
    )

    def open_(path: Path) -> container.Opened:
        with hub.reading() as session:
            verify = signatures.enrolled_verifier(session, str(path), lambda m: m["reviewer"])
            return container.open_container(path, "return", (1,), verify)

    assert open_(good).manifest["reviewer"] == AMARA
    with pytest.raises(BadInput, match=f"forged.pdreturn: signed by {AMARA} with a key that"):
        open_(forged)


# ---------------------------------------------------------------------------------------
# The hub's own people, the reviewer's machine, and decision packs.


def test_people_on_the_hub_enrol_directly_and_sign_a_pdf_that_validates(hub: Database) -> None:
    keys.create_personal_key(EAG[0])
    with pytest.raises(BadInput, match="has no certificate in this database"):
        hub.read(keys.signing_identity, EAG[0], require_certificate=True)

    pdf_buffer = io.BytesIO()
    page = canvas.Canvas(pdf_buffer)
    page.drawString(72, 720, "Decision record")
    page.save()
    pdf = pdf_buffer.getvalue()
    for email in EAG:
        keys.create_personal_key(email)
        hub.run(enrolment.enrol_on_hub, email, SECRETARIAT)
        pdf = sign_pdf(pdf, hub.read(keys.signing_identity, email, require_certificate=True))

    authority = hub.read(keys.authority_certificate)
    assert pdf_problems(pdf, [authority], source="decision.pdf", expected_signers=EAG) == []


def test_a_reviewers_database_trusts_the_hubs_authority_and_no_other(
    hub: Database, tmp_path: Path
) -> None:
    keys.create_personal_key(SECRETARIAT)
    hub.run(enrolment.enrol_on_hub, SECRETARIAT, SECRETARIAT)
    secretariat = hub.read(keys.signing_identity, SECRETARIAT, require_certificate=True)
    assert secretariat.certificate is not None
    packet_signature = sign_bytes(b"manifest", secretariat)
    reviewer = with_roster(open_database(tmp_path / "reviewer.sqlite"), tmp_path)

    pem = hub.read(keys.authority_certificate_pem)
    assert reviewer.run(trust.trust_authority, pem, "p.pdpacket", AMARA) is True
    assert reviewer.run(trust.trust_authority, pem, "p.pdpacket", AMARA) is False
    verified = reviewer.read(
        signatures.verify_under_authority,
        b"manifest",
        packet_signature,
        subject="p.pdpacket",
        expected_signer=SECRETARIAT,
    )
    assert verified.signer == SECRETARIAT

    assert reviewer.run(
        trust.record_certificate, certificate_pem(secretariat.certificate), "p", AMARA
    )
    foreign = Authority().identity(SECRETARIAT)
    before = fingerprint(reviewer.path)
    with pytest.raises(BadInput, match="not the one this database trusts"):
        reviewer.run(trust.trust_authority, pem_of(foreign), "other.pdpacket", AMARA)
    with pytest.raises(VerificationFailed, match="was not issued by the certificate authority"):
        reviewer.read(
            signatures.verify_under_authority,
            b"manifest",
            sign_bytes(b"manifest", foreign),
            subject="other.pdpacket",
        )
    assert fingerprint(reviewer.path) == before
    reviewer.close()


def pem_of(identity: SigningIdentity) -> str:
    assert identity.authority is not None
    return certificate_pem(identity.authority)


def test_no_private_key_ever_reaches_the_database(hub: Database, tmp_path: Path) -> None:
    enrol_by_code(hub, AMARA, tmp_path)
    keys.create_personal_key(SECRETARIAT)
    hub.run(enrolment.enrol_on_hub, SECRETARIAT, SECRETARIAT)
    hub.run(enrolment.revoke, AMARA, "test", SECRETARIAT)
    private = [
        keys.personal_key(AMARA),
        keys.personal_key(SECRETARIAT),
        hub.read(keys.authority_key),
    ]
    hub.close()

    assert secrets_in_clear(tmp_path, private) == [], "a private key is in a file in clear"
    payloads = b"".join(p.read_bytes() for p in tmp_path.glob("hub.sqlite*"))
    assert b"PRIVATE KEY" not in payloads


def test_revoking_needs_a_reason_and_an_enrolled_key(hub: Database) -> None:
    with pytest.raises(BadInput, match="say why"):
        hub.run(enrolment.revoke, AMARA, " ", SECRETARIAT)
    with pytest.raises(BadInput, match="has no enrolled key to revoke"):
        hub.run(enrolment.revoke, AMARA, "left the panel", SECRETARIAT)
