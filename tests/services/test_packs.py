"""Decision packs: what is in one, every PDF signature sound in pyHanko's validator, and an
export refused before sign-off, cancelled or aimed at an existing folder leaving nothing."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select

from panel_desk.errors import BadInput, Cancelled
from panel_desk.services import packs, signoff
from panel_desk.services.database import Database, open_database
from panel_desk.services.demo import SIGNED_SIZE
from panel_desk.services.exchange.verification import verify_path
from panel_desk.store.models import AuditEvent
from tests.services.signoff_world import ROUND, change_feedback, people_with

ACTOR = "secretariat@example.org"


@pytest.fixture
def hub(signed_demo_path: Path) -> Iterator[Database]:
    db = open_database(signed_demo_path)
    yield db
    db.close()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A folder for exports, apart from the database's files."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def pack(hub: Database, out: Path) -> Path:
    return hub.run(packs.export_pack, ROUND, out / "pack", actor=ACTOR).path


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_a_pack_holds_the_record_a_letter_per_submission_and_a_manifest_of_every_file(
    pack: Path, hub: Database
) -> None:
    files = _files(pack)
    letters = [f for f in files if f.startswith("letters/")]
    assert len(letters) == SIGNED_SIZE, "one letter per submission, successful or not"
    manifest = json.loads((pack / "manifest.json").read_text())
    assert set(manifest["members"]) == set(files) - {"manifest.json", "manifest.sig"}
    for name, entry in manifest["members"].items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == entry["sha256"]
    status = hub.read(signoff.signoff_status, ROUND)
    digest = hashlib.sha256((pack / "recommendations.json").read_bytes()).hexdigest()
    assert manifest["recommendation_digest"] == digest == status.digest
    assert [s["signer"] for s in manifest["signoffs"]] == [s.signer for s in status.counting]


def test_every_pdf_signature_is_intact_valid_and_trusted_in_pyhankos_validator(
    pack: Path, hub: Database
) -> None:
    authority = load_cert_from_pemder(str(pack / "authority.pem"))
    signers = len(hub.read(signoff.signoff_status, ROUND).counting)
    counts = {}
    for pdf in sorted(pack.rglob("*.pdf")):
        reader = PdfFileReader(io.BytesIO(pdf.read_bytes()))
        counts[pdf.name] = len(reader.embedded_signatures)
        for embedded in reader.embedded_signatures:
            assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
            status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[authority]))
            assert (status.intact, status.valid, status.trusted) == (True, True, True), pdf.name
    assert counts.pop("decision-record.pdf") == signers, "each signatory signs the record"
    assert set(counts.values()) == {1}, "each letter is signed"


def test_a_fresh_pack_verifies_with_or_without_the_hubs_database(
    pack: Path, hub: Database, empty_db: Database
) -> None:
    for db in (hub, empty_db):
        report = db.read(verify_path, pack)
        assert report.valid, report.lines()
        assert report.kind == "pack"


def test_a_pack_under_another_authority_than_the_one_trusted_here_fails(
    pack: Path, empty_db: Database
) -> None:
    from panel_desk.services import keys

    empty_db.run(keys.set_up_authority, "Another Centre", ACTOR)

    report = empty_db.read(verify_path, pack)

    assert not report.valid
    assert [c.name for c in report.failures] == ["authority.pem"]


def test_export_before_the_quorum_is_refused_and_writes_nothing(hub: Database, out: Path) -> None:
    change_feedback(hub, "GW25-01", "Revised after the panel met again.")
    hub.run(signoff.sign_off, ROUND, people_with(hub, "eag")[0])

    with pytest.raises(BadInput, match=r"sign-off is not complete.*1 of the 2 signatures"):
        hub.run(packs.export_pack, ROUND, out / "early", actor=ACTOR)

    assert list(out.iterdir()) == []


def test_export_of_a_round_never_signed_off_says_what_is_missing(hub: Database, out: Path) -> None:
    with pytest.raises(BadInput, match=r"sign-off is not complete.*divergent"):
        hub.run(packs.export_pack, "GW-2026-01", out / "no", actor=ACTOR)


@pytest.mark.parametrize("after", [1, 5, 14])
def test_a_cancelled_export_leaves_nothing_half_written(
    hub: Database, out: Path, after: int
) -> None:
    calls = 0

    def progress(done: int, total: int, text: str) -> None:
        nonlocal calls
        calls += 1
        if calls == after:
            raise Cancelled()

    with pytest.raises(Cancelled):
        hub.run(packs.export_pack, ROUND, out / "pack", actor=ACTOR, progress=progress)

    assert list(out.iterdir()) == [], "no pack, and no temporary folder beside it"
    exported = select(func.count()).where(AuditEvent.action == "pack.exported")
    assert hub.read(lambda s: s.scalar(exported)) == 0


def test_a_pack_is_never_written_over(hub: Database, pack: Path) -> None:
    before = _files(pack)
    with pytest.raises(BadInput, match="already exists"):
        hub.run(packs.export_pack, ROUND, pack, actor=ACTOR)
    assert _files(pack) == before


def test_an_empty_folder_chosen_for_the_pack_is_filled(hub: Database, out: Path) -> None:
    (out / "chosen").mkdir()
    made = hub.run(packs.export_pack, ROUND, out / "chosen", actor=ACTOR)
    assert (made.path / "manifest.json").is_file()
    assert [p.name for p in out.iterdir()] == ["chosen"]


def test_a_pdpack_file_holds_the_same_and_verifies(hub: Database, out: Path) -> None:
    made = hub.run(packs.export_pack, ROUND, out / "round.pdpack", actor=ACTOR)

    assert made.path.is_file() and [p.name for p in out.iterdir()] == ["round.pdpack"]
    report = hub.read(verify_path, made.path)
    assert report.valid, report.lines()
    data = bytearray(made.path.read_bytes())
    data[len(data) // 3] ^= 1
    made.path.write_bytes(bytes(data))
    assert not hub.read(verify_path, made.path).valid


def test_the_export_is_an_audit_event_naming_the_digest(hub: Database, pack: Path) -> None:
    events = hub.read(
        lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == "pack.exported")).all()
    )
    assert len(events) == 1
    assert (
        json.loads(events[0].payload)["recommendation_digest"]
        == json.loads((pack / "manifest.json").read_text())["recommendation_digest"]
    )


def test_without_a_signatorys_key_here_the_export_says_where_to_make_it(
    hub: Database, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.crypto.support import keys_kept_apart

    with (
        keys_kept_apart(monkeypatch, out.parent / "elsewhere"),
        pytest.raises(BadInput, match="where the signatories' keys are"),
    ):
        hub.run(packs.export_pack, ROUND, out / "pack", actor=ACTOR)
    assert list(out.iterdir()) == []


def test_a_demo_on_a_machine_without_a_keyring_leaves_its_round_unsigned_and_says_so(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    from panel_desk.services import demo

    previous = keyring.get_keyring()
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.set_keyring(fail.Keyring())
    try:
        said = demo.build_demo(empty_db)
    finally:
        keyring.set_keyring(previous)

    assert f"{ROUND} was moderated but left unsigned" in said and "no keyring" in said
    status = empty_db.read(signoff.signoff_status, ROUND)
    assert not status.signatures and not status.blockers, "moderated whole, just not signed"
    assert status.state == "sign_off"


def test_each_letter_is_signed_by_a_signatory_who_did_not_abstain_on_it(
    pack: Path, hub: Database
) -> None:
    from panel_desk.crypto.pdf import validate_pdf
    from panel_desk.services import keys

    authority = hub.read(keys.authority_certificate)
    manifest = json.loads((pack / "manifest.json").read_text())
    abstained = {s["signer"]: set(s["abstains_on"]) for s in manifest["signoffs"]}
    assert any(abstained.values()), "the demo's signatories abstain somewhere"
    writers = set()
    for ref, entry in manifest["letters"].items():
        assert ref not in abstained[entry["signed_by"]]
        [check] = validate_pdf((pack / entry["file"]).read_bytes(), [authority], source=ref)
        assert check.ok and check.signer == entry["signed_by"]
        writers.add(entry["signed_by"])
    assert len(writers) > 1, "a conflicted member's letters go to another signatory"


def test_a_letter_signed_by_a_member_who_abstained_on_it_fails_verification(
    pack: Path, hub: Database
) -> None:
    manifest_path = pack / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    member = next(s for s in manifest["signoffs"] if s["abstains_on"])
    ref = next(r for r in member["abstains_on"] if r in manifest["letters"])
    manifest["letters"][ref]["signed_by"] = member["signer"]
    manifest_path.write_bytes(packs.manifest_bytes(manifest))

    report = hub.read(verify_path, pack)

    failed = {c.name: c.detail for c in report.failures}
    assert "manifest.sig" in failed, "the manifest was changed after signing"
    assert "not a signatory free to sign on" in failed[manifest["letters"][ref]["file"]]
