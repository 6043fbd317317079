"""Reading the secretariat's CSV files, with errors that point at the row and column.

Rows are numbered as a spreadsheet shows them (the header is row 1), so "row 7, column
email" is where the user looks. Cells are stripped; lists inside a cell are split on `;`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from panel_desk.errors import BadInput

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet row number and its cells by column name."""

    source: str
    number: int
    cells: dict[str, str]

    def error(self, column: str, problem: str) -> BadInput:
        return BadInput(self.source, problem, f"row {self.number}, column {column}")

    def text(self, column: str, required: bool = True) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            raise self.error(column, "is empty")
        return value

    def items(self, column: str) -> list[str]:
        return split_list(self.cells.get(column, ""))

    def email(self, column: str, value: str | None = None) -> str:
        text = self.cells.get(column, "") if value is None else value
        if not EMAIL.match(text):
            shown = f"{text!r} is" if text else "it is empty, which is"
            raise self.error(column, f"{shown} not an e-mail address")
        return text.lower()

    def date(self, column: str, value: str) -> date:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise self.error(column, f"{value!r} is not a date (YYYY-MM-DD)") from None


def split_list(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def read_csv(path: Path, required: Sequence[str]) -> tuple[list[str], Iterator[Row]]:
    """The header and the rows of a CSV file; BadInput for a missing file or column."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(source, "no such file") from None
    except IsADirectoryError:
        raise BadInput(source, "is a folder, not a CSV file") from None
    except OSError as exc:
        raise BadInput(source, f"cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        where = _first_undecodable_cell(raw)
        raise BadInput(source, "is not UTF-8 text (save it as CSV UTF-8)", where) from None
    if "\x00" in text:
        raise BadInput(source, "is not a text file (it holds NUL bytes)")
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise BadInput(source, "is empty: it needs a header row") from None
    except csv.Error as exc:
        raise BadInput(source, f"is not valid CSV: {exc}", "row 1") from None
    if len(set(header)) != len(header):
        twice = next(name for name in header if header.count(name) > 1)
        raise BadInput(source, f"the header names column {twice!r} twice", "row 1")
    missing = [name for name in required if name not in header]
    if missing:
        raise BadInput(
            source,
            f"missing column {missing[0]!r} (the header must have: {', '.join(required)})",
            "row 1",
        )

    def rows() -> Iterator[Row]:
        number = 1
        try:
            for cells in reader:
                number += 1
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > len(header):
                    raise BadInput(
                        source,
                        f"has {len(cells)} cells but the header has {len(header)} columns",
                        f"row {number}, column {len(header) + 1}",
                    )
                padded = cells + [""] * (len(header) - len(cells))
                yield Row(
                    source, number, {h: c.strip() for h, c in zip(header, padded, strict=True)}
                )
        except csv.Error as exc:
            # The reader failed on the row after the last one it gave us.
            raise BadInput(source, f"is not valid CSV: {exc}", f"row {number + 1}") from None

    return header, rows()


def _first_undecodable_cell(raw: bytes) -> str:
    """The row and column of the first byte that is not UTF-8, as a spreadsheet shows them.

    Decoding with `surrogateescape` turns each such byte into a lone surrogate, which valid
    UTF-8 can never produce, so the first cell holding one is the cell to fix.
    """
    text = raw.decode("utf-8-sig", errors="surrogateescape")
    header: list[str] = []
    try:
        for number, cells in enumerate(csv.reader(text.splitlines(keepends=True)), start=1):
            header = header or [cell.strip() for cell in cells]
            for index, cell in enumerate(cells):
                if any("\udc80" <= ch <= "\udcff" for ch in cell):
                    name = header[index] if number > 1 and index < len(header) else index + 1
                    return f"row {number}, column {name}"
    except csv.Error:
        pass
    return ""
