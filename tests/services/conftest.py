"""Set-up for the service tests: CSV files written as a secretariat would, and fresh rounds."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from panel_desk.services import rounds
from panel_desk.services.criteria import CriteriaSpec, shipped_criteria
from panel_desk.services.database import Database
from panel_desk.services.submissions import SUBMISSION_COLUMNS
from panel_desk.store.models import Stage

WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """`write_csv(name, header, *rows)`: a UTF-8 CSV in tmp_path, quoted as Excel would."""

    def write(name: str, header: Sequence[str], *rows: Sequence[str]) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def gateway_spec() -> CriteriaSpec:
    return shipped_criteria(Stage.GATEWAY)


@pytest.fixture
def gateway_round(empty_db: Database) -> Database:
    """An empty hub with one gateway round, GW-T-01, and nothing in it yet."""
    with empty_db.transaction() as session:
        rounds.create_round(session, stage=Stage.GATEWAY, ref="GW-T-01", title="Test call")
    return empty_db


def document_names(spec: CriteriaSpec, ref: str) -> list[str]:
    """One file name per required document of `spec`, each matching its first pattern."""
    return [f"{ref}-{d.patterns[0].replace('*', '').replace(' ', '-')}.pdf" for d in spec.documents]


class SubmissionFiles:
    """Builds submissions.csv rows that satisfy a stage's screening, and their documents."""

    def __init__(self, spec: CriteriaSpec, folder: Path) -> None:
        self.spec = spec
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.header = [*SUBMISSION_COLUMNS, *(f.key for f in spec.fields), "notes"]

    def row(self, ref: str, **changes: str) -> list[str]:
        """A complete row for `ref` (its documents written to the folder); `changes` override
        cells by column name."""
        names = document_names(self.spec, ref)
        for name in names:
            (self.folder / name).write_bytes(f"%PDF-1.4 {name}\n".encode())
        cells = {
            "ref": ref,
            "title": f"Credential proposal {ref}",
            "lead_organisation": "University of Testshire",
            "partner_organisations": "Testshire Hospitals NHS Foundation Trust",
            "named_people": f"Lead.{ref}@Testshire.ac.uk",
            "area": "Frailty",
            "documents": ";".join(names),
            **{f.key: f"{f.label} for {ref}" for f in self.spec.fields},
            "notes": f"kept as a template field ({ref})",
        }
        cells.update(changes)
        return [cells[column] for column in self.header]


@pytest.fixture
def submission_files(gateway_spec: CriteriaSpec, tmp_path: Path) -> SubmissionFiles:
    return SubmissionFiles(gateway_spec, tmp_path / "documents")
