"""submissions.csv: bad rows change nothing; documents are stored by hash; re-imports are
idempotent; a changed row after gaps were returned is a resubmission."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from panel_desk.errors import BadInput
from panel_desk.services import audit, screening, submissions
from panel_desk.services.database import Database
from panel_desk.store.models import (
    AuditEvent,
    Document,
    NamedPerson,
    Organisation,
    ScreeningState,
    Submission,
    SubmissionPartner,
    TemplateField,
)
from tests.dbstate import fingerprint

HEADER = "ref,title,lead_organisation,partner_organisations,named_people,area,documents"
GOOD = "NEW-01,A proposal,University of Testshire,,lead@testshire.ac.uk,Frailty,"

# (id, file content, extra CLI arguments, row named, column named)
BAD_ROWS = [
    (
        "missing column",
        "ref,title,lead_organisation,partner_organisations,named_people,area\nNEW-01,T,Org,,,\n",
        [],
        1,
        "'documents'",
    ),
    ("duplicate ref", f"{HEADER}\n{GOOD}\nNEW-01,Again,Org,,,,\n", [], 3, "ref"),
    ("ref that is not a reference", f"{HEADER}\n{GOOD}\nNEW 02,T,Org,,,,\n", [], 3, "ref"),
    (
        "bad e-mail in named_people",
        f"{HEADER}\n{GOOD}\nNEW-02,T,Org,,a@x.org;someone@,,\n",
        [],
        3,
        "named_people",
    ),
    (
        "bad date in received_on",
        f"{HEADER},received_on\n{GOOD},2026-01-02\nNEW-02,T,Org,,,,,2026-02-30\n",
        [],
        3,
        "received_on",
    ),
    ("empty title", f"{HEADER}\nNEW-02,,Org,,,,\n", [], 2, "title"),
    (
        "unknown document",
        f"{HEADER}\n{GOOD}\nNEW-02,T,Org,,,,NEW-02-proposal.pdf;nothere.pdf\n",
        ["--documents", "{docs}"],
        3,
        "documents",
    ),
    (
        "documents without --documents",
        f"{HEADER}\nNEW-02,T,Org,,,,NEW-02-proposal.pdf\n",
        [],
        2,
        "documents",
    ),
    (
        "path-like document name",
        f"{HEADER}\nNEW-02,T,Org,,,,../secret.pdf\n",
        ["--documents", "{docs}"],
        2,
        "documents",
    ),
    (
        "a folder named as a document",
        f"{HEADER}\nNEW-02,T,Org,,,,subfolder\n",
        ["--documents", "{docs}"],
        2,
        "documents",
    ),
    ("extra cells", f"{HEADER}\n{GOOD}\nNEW-02,T,Org,,,,,surplus\n", [], 3, "8"),
]


@pytest.fixture
def documents_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "NEW-02-proposal.pdf").write_bytes(b"%PDF-1.4 proposal")
    (folder / "subfolder").mkdir()
    (tmp_path / "secret.pdf").write_bytes(b"outside the documents folder")
    return folder


@pytest.mark.parametrize(
    ("content", "extra", "row", "column"),
    [case[1:] for case in BAD_ROWS],
    ids=[case[0] for case in BAD_ROWS],
)
def test_a_bad_row_is_refused_with_its_place_and_changes_nothing(
    run_cli, demo_path: Path, tmp_path: Path, documents_dir: Path, content, extra, row, column
) -> None:
    file = tmp_path / "submissions.csv"
    file.write_text(content, encoding="utf-8")
    args = [a.format(docs=documents_dir) for a in extra]
    before = fingerprint(demo_path)

    code, out, err = run_cli(
        "submissions", "import", file, "--round", "GW-2026-01", *args, "--db", demo_path
    )

    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert file.name in err
    assert f"row {row}" in err
    assert f"column {column}" in err
    assert fingerprint(demo_path) == before


def test_an_unknown_round_is_named_and_nothing_changes(
    run_cli, demo_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "submissions.csv"
    file.write_text(f"{HEADER}\n{GOOD}\n")
    before = fingerprint(demo_path)

    code, _, err = run_cli("submissions", "import", file, "--round", "XX-9", "--db", demo_path)

    assert code == 2
    assert "Traceback" not in err
    assert "XX-9" in err
    assert "GW-2026-01" in err, "the message lists the rounds there are"
    assert fingerprint(demo_path) == before


def test_a_documents_path_that_is_not_a_folder_is_refused(
    run_cli, demo_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "submissions.csv"
    file.write_text(f"{HEADER}\n{GOOD}\n")
    before = fingerprint(demo_path)

    code, _, err = run_cli(
        "submissions", "import", file, "--round", "GW-2026-01",
        "--documents", tmp_path / "missing", "--db", demo_path,
    )  # fmt: skip

    assert code == 2
    assert "missing" in err and "--documents" in err
    assert fingerprint(demo_path) == before


def test_a_submission_with_reviewers_cannot_be_changed_by_import(
    run_cli, demo_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "submissions.csv"
    file.write_text(f"{HEADER}\n{GOOD}\nGW-01,A new title,University of Testshire,,,,\n")
    before = fingerprint(demo_path)

    code, _, err = run_cli(
        "submissions", "import", file, "--round", "GW-2026-01", "--db", demo_path
    )

    assert code == 2
    assert "GW-01" in err and "row 3" in err and "assigned" in err
    assert fingerprint(demo_path) == before, "NEW-01 on row 2 was not imported either"


# --- good imports ------------------------------------------------------------------------


def _submissions(db: Database) -> dict[str, dict]:
    def load(session) -> dict[str, dict]:
        found = {}
        for s in session.scalars(select(Submission).order_by(Submission.ref)):
            found[s.ref] = {
                "title": s.title,
                "state": s.screening_state,
                "area": s.area,
                "lead": session.get(Organisation, s.lead_organisation_id).name,
                "partners": sorted(
                    session.scalars(
                        select(Organisation.name)
                        .join(SubmissionPartner)
                        .where(SubmissionPartner.submission_id == s.id)
                    )
                ),
                "named": sorted(
                    session.scalars(
                        select(NamedPerson.email).where(NamedPerson.submission_id == s.id)
                    )
                ),
                "fields": dict(
                    session.execute(
                        select(TemplateField.key, TemplateField.value)
                        .where(TemplateField.submission_id == s.id)
                        .order_by(TemplateField.position)
                    ).all()
                ),
                "documents": {
                    d.name: (d.sha256, d.size, d.blob_path, d.media_type)
                    for d in session.scalars(select(Document).where(Document.submission_id == s.id))
                },
            }
        return found

    return db.read(load)


def test_a_good_file_stores_submissions_documents_and_template_fields(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    file = write_csv("submissions.csv", files.header, files.row("S-01"), files.row("S-02"))

    result = gateway_round.run(
        submissions.import_submissions, file, "GW-T-01", files.folder, "sec@centre.org"
    )

    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    stored = _submissions(gateway_round)
    assert list(stored) == ["S-01", "S-02"]
    s1 = stored["S-01"]
    assert s1["state"] == ScreeningState.NOT_SCREENED
    assert s1["lead"] == "University of Testshire"
    assert s1["partners"] == ["Testshire Hospitals NHS Foundation Trust"]
    assert s1["named"] == ["lead.s-01@testshire.ac.uk"]
    assert s1["area"] == "frailty"
    assert s1["fields"]["notes"] == "kept as a template field (S-01)"
    assert list(s1["fields"]) == [f.key for f in files.spec.fields] + ["notes"]
    assert len(s1["documents"]) == len(files.spec.documents)
    for name, (sha, size, blob_path, media_type) in s1["documents"].items():
        content = (files.folder / name).read_bytes()
        assert sha == hashlib.sha256(content).hexdigest()
        assert size == len(content)
        assert media_type == "application/pdf"
        blob = gateway_round.blobs.path(blob_path)
        assert blob.is_file() and blob.read_bytes() == content
    assert gateway_round.read(audit.verify_chain).intact


def test_identical_documents_are_stored_once(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    rows = [files.row("S-01"), files.row("S-02")]
    for name in (files.folder).iterdir():  # every document has the same content
        name.write_bytes(b"%PDF-1.4 the same bytes")
    gateway_round.run(
        submissions.import_submissions,
        write_csv("s.csv", files.header, *rows),
        "GW-T-01",
        files.folder,
    )

    blobs = [p for p in gateway_round.blobs.root.rglob("*") if p.is_file()]
    assert len(blobs) == 1
    paths = gateway_round.read(lambda s: set(s.scalars(select(Document.blob_path))))
    assert len(paths) == 1


def test_importing_the_same_file_again_changes_nothing(
    run_cli, gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    file = write_csv("submissions.csv", files.header, files.row("S-01"), files.row("S-02"))
    args = ["submissions", "import", file, "--round", "GW-T-01", "--documents", files.folder]
    assert run_cli(*args, "--db", gateway_round.url)[0] == 0
    before = fingerprint(gateway_round)

    code, out, _ = run_cli(*args, "--db", gateway_round.url)

    assert code == 0
    assert "0 added, 0 updated, 2 unchanged" in out
    assert fingerprint(gateway_round) == before


def test_a_changed_row_after_gaps_were_returned_is_a_resubmission(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    incomplete = files.row("S-02", target_group="")
    file = write_csv("s1.csv", files.header, files.row("S-01"), incomplete)
    gateway_round.run(submissions.import_submissions, file, "GW-T-01", files.folder)
    report = {s.ref: s for s in gateway_round.run(screening.run_screening, "GW-T-01")}
    assert report["S-01"].state == ScreeningState.COMPLETE
    assert report["S-02"].state == ScreeningState.GAPS_RETURNED
    assert any("target_group" in gap for gap in report["S-02"].gaps)

    fixed = write_csv("s2.csv", files.header, files.row("S-01"), files.row("S-02"))
    result = gateway_round.run(submissions.import_submissions, fixed, "GW-T-01", files.folder)

    assert (result.added, result.updated, result.unchanged) == (0, 1, 1)
    stored = _submissions(gateway_round)
    assert stored["S-02"]["state"] == ScreeningState.RESUBMITTED
    assert stored["S-01"]["state"] == ScreeningState.COMPLETE, "an unchanged row keeps its state"
    assert stored["S-02"]["fields"]["target_group"], "the new value replaced the empty one"
    actions = gateway_round.read(
        lambda s: [
            e.action
            for e in s.scalars(select(AuditEvent).where(AuditEvent.subject_ref == "GW-T-01/S-02"))
        ]
    )
    assert actions == ["submission.received", "screening.gaps_returned", "submission.resubmitted"]

    again = {s.ref: s for s in gateway_round.run(screening.run_screening, "GW-T-01")}

    assert again["S-02"].state == ScreeningState.COMPLETE
    assert again["S-02"].gaps == []
    assert _submissions(gateway_round)["S-02"]["state"] == ScreeningState.COMPLETE


def test_a_changed_row_before_screening_is_an_update(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    gateway_round.run(
        submissions.import_submissions,
        write_csv("s1.csv", files.header, files.row("S-01")),
        "GW-T-01",
        files.folder,
    )

    result = gateway_round.run(
        submissions.import_submissions,
        write_csv("s2.csv", files.header, files.row("S-01", title="A better title")),
        "GW-T-01",
        files.folder,
    )

    assert (result.added, result.updated) == (0, 1)
    s1 = _submissions(gateway_round)["S-01"]
    assert s1["title"] == "A better title"
    assert s1["state"] == ScreeningState.NOT_SCREENED
    assert len(s1["documents"]) == len(files.spec.documents), "children are replaced, not doubled"


def test_a_bad_row_after_good_ones_leaves_the_round_empty(
    gateway_round: Database, submission_files, write_csv
) -> None:
    files = submission_files
    bad = files.row("S-03", named_people="not an address")
    file = write_csv("s.csv", files.header, files.row("S-01"), files.row("S-02"), bad)
    before = fingerprint(gateway_round)

    with pytest.raises(BadInput) as caught:
        gateway_round.run(submissions.import_submissions, file, "GW-T-01", files.folder)

    assert caught.value.where == "row 4, column named_people"
    assert fingerprint(gateway_round) == before
    count = gateway_round.read(lambda s: s.scalar(select(func.count()).select_from(Submission)))
    assert count == 0


# --- documents' bytes in the database (services/document_store.py) ------------------------


def _import_two(db: Database, files, write_csv) -> None:
    db.run(
        submissions.import_submissions,
        write_csv("s.csv", files.header, files.row("S-01"), files.row("S-02")),
        "GW-T-01",
        files.folder,
    )


def test_documents_are_kept_in_the_database_and_open_without_the_file_store(
    gateway_round: Database, submission_files, write_csv
) -> None:
    from panel_desk.services import submission_views
    from panel_desk.store.models import DocumentContent

    _import_two(gateway_round, submission_files, write_csv)
    documents = gateway_round.read(lambda s: s.scalars(select(Document)).all())
    held = gateway_round.read(
        lambda s: dict(s.execute(select(DocumentContent.sha256, DocumentContent.content)).all())
    )
    assert {d.sha256 for d in documents} == set(held)
    for blob in [p for p in gateway_round.blobs.root.rglob("*") if p.is_file()]:
        blob.unlink()  # another machine: this one's file store is not there

    opened = gateway_round.read(submission_views.copy_document_for_viewing, documents[0].id)

    assert opened.name == documents[0].name
    assert opened.read_bytes() == (submission_files.folder / documents[0].name).read_bytes()


def test_a_document_from_before_the_database_kept_them_is_read_from_disk_and_adopted(
    gateway_round: Database, submission_files, write_csv
) -> None:
    from sqlalchemy import delete

    from panel_desk.services import document_store
    from panel_desk.store.models import DocumentContent

    _import_two(gateway_round, submission_files, write_csv)
    gateway_round.run(lambda s: s.execute(delete(DocumentContent)))  # as before 0009
    stored = gateway_round.read(
        lambda s: [
            document_store.Stored(d.name, d.sha256, d.blob_path)
            for d in s.scalars(select(Document))
        ]
    )

    read = gateway_round.read(document_store.read_contents, stored)
    gateway_round.run(document_store.read_contents, stored, adopt=True)
    for blob in [p for p in gateway_round.blobs.root.rglob("*") if p.is_file()]:
        blob.unlink()
    again = gateway_round.read(document_store.read_contents, stored)

    assert read == again and set(read) == {d.sha256 for d in stored}
    gateway_round.run(lambda s: s.execute(delete(DocumentContent)))
    with pytest.raises(BadInput, match="neither in the database nor in this machine's"):
        gateway_round.read(document_store.read_contents, stored)


def test_a_document_over_the_size_limit_is_refused_naming_it_and_changes_nothing(
    gateway_round: Database, submission_files, write_csv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from panel_desk.services import document_store

    monkeypatch.setattr(document_store, "MAX_DOCUMENT_BYTES", 1024 * 1024)
    files = submission_files
    source = write_csv("s.csv", files.header, files.row("S-01"), files.row("S-02"))
    big = next(p for p in sorted(files.folder.iterdir()) if "S-02" in p.name)
    big.write_bytes(b"%PDF-1.4\n" + b"x" * (1024 * 1024))
    before = _submissions(gateway_round)

    with pytest.raises(BadInput) as refused:
        gateway_round.run(submissions.import_submissions, source, "GW-T-01", files.folder)

    assert big.name in refused.value.problem and "at most 1 MB" in refused.value.problem
    assert refused.value.where == "row 3, column documents"
    assert _submissions(gateway_round) == before
