"""Hostile input for any importer: mutated files, and the property every import must keep.

The property (`check_import`): whatever the file, the command either accepts it (exit 0,
and the audit trail still holds) or refuses it with exit 2 and one line naming the problem,
the database untouched (tests.dbstate.fingerprint). Never a traceback, never exit 1 or
anything else. A crash inside the importer propagates and fails the test with its example.

Strategies make the files from a valid seed: `byte_mutations` (flips, insertions of nasty
bytes, deletions, duplications, truncation) for any format, `csv_mutations` (cells replaced
by hostile values, rows and columns dropped or doubled, then bytes), `line_mutations` for
line-based formats such as TOML (lines dropped, doubled, swapped, values replaced), and
`zip_mutations` for zip-based exchange files (members changed, and `..`/absolute names,
links, duplicates and bombs added). A later importer plugs in by giving its seed file, its
command line and, if it needs one, a fresh database per example (`fresh_copy`).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from panel_desk.services import audit
from panel_desk.services.database import open_database
from tests.dbstate import fingerprint

EXAMPLES = int(os.environ.get("PANEL_DESK_HOSTILE_EXAMPLES", "100"))
"""Examples per importer; raise it locally (e.g. 5000) to fuzz for longer."""

HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the checkout
    derandomize=os.environ.get("PANEL_DESK_HOSTILE_RANDOM") is None,  # CI sees the same runs
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_BYTES = [
    b"\x00", b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80", b'"', b'""',
    b",", b";", b"|", b"\r", b"\n", b"\r\n", b"\t", b"\\", b"=", b"[", b"]", b"{", b"}", b"@",
    b"..", b"/", b"%s", b"\xe2\x80\xae", b"9" * 40, b"-", b"#",
]  # fmt: skip
NASTY_TEXT = [
    "", " ", "x" * 5000, "=cmd|'/C calc'!A0", "Ann;Bob;;;", "a@b", "a@@b.org", "@x.org",
    "2021-02-30", "2021-13-01", "0000-00-00", "9999-12-31", "Org|2020-01-01|2019-01-01",
    "Org||||", "|||", "reviewer;chair", "REVIEWER", "secretariat;eag;moderator;reviewer",
    "../../etc/passwd", "/etc/passwd", "C:\\boot.ini", "doc.pdf;doc.pdf", "..", ".",
    "\u202eevil", "名前", "Zoë O'Brien", "\x1b[31m", "NaN", "-1", "1e999", "🙂" * 50,
]  # fmt: skip


class Tally:
    """What a run of examples came to: how many tried, accepted, refused."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: Counter[str] = Counter()

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1

    @property
    def tried(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        return (
            f"hostile input, {self.name}: {self.tried} mutated files tried, "
            f"{self.counts['refused']} refused with exit 2 and nothing changed, "
            f"{self.counts['accepted']} accepted with the trail intact"
        )


def fresh_copy(template: Path, folder: Path) -> Path:
    """A private copy of a database (and its document store) for one example."""
    folder.mkdir(parents=True, exist_ok=True)
    n = sum(1 for _ in folder.iterdir())
    target = folder / f"example-{n}.sqlite"
    shutil.copyfile(template, target)
    blobs = template.with_name(template.name + ".blobs")
    if blobs.exists():
        shutil.copytree(blobs, target.with_name(target.name + ".blobs"))
    return target


def check_import(
    run_cli: Callable[..., tuple[int, str, str]], db: Path, argv: Sequence[object]
) -> str:
    """Run `panel-desk argv…` on `db`; assert the property; "accepted" or "refused"."""
    before = fingerprint(db)
    code, out, err = run_cli(*argv)
    assert "Traceback" not in err and "Traceback" not in out
    if code == 0:
        database = open_database(db)
        try:
            report = database.read(audit.verify_chain)
        finally:
            database.close()
        assert report.intact, f"accepted, but the trail broke: {report.problem}"
        return "accepted"
    assert code == 2, f"exit {code}: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("panel-desk: ") and len(lines[0]) > 20, err
    assert fingerprint(db) == before, f"refused ({lines[0]}) but the database changed"
    return "refused"


# --- strategies --------------------------------------------------------------------------


@st.composite
def byte_mutations(draw: st.DrawFn, seed: bytes, most: int = 4) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, most))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY_BYTES) | st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "duplicate":
            span = bytes(data[at : at + draw(st.integers(1, 200))])
            where = draw(st.integers(0, len(data)))
            data[where:where] = span
        elif op == "truncate":
            del data[at:]
    return bytes(data)


@st.composite
def csv_mutations(draw: st.DrawFn, seed: str) -> bytes:
    rows = list(csv.reader(io.StringIO(seed)))
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "drop_row", "double_row", "column"]))
        r = draw(st.integers(0, len(rows) - 1))
        if op == "cell" and rows[r]:
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(st.sampled_from(NASTY_TEXT) | st.text(max_size=30))
        elif op == "drop_row" and len(rows) > 1:
            del rows[r]
        elif op == "double_row":
            rows.insert(r, list(rows[r]))
        elif op == "column":
            c = draw(st.integers(0, len(rows[0])))
            extra = draw(st.sampled_from(["", "email", "notes", "ref", "x"]))
            rows = [[*row[:c], extra if i == 0 else "v", *row[c:]] for i, row in enumerate(rows)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        data = draw(byte_mutations(data, most=2))
    return data


VALUES = ['-1', '0', '1e999', 'nan', 'inf', '""', '[]', '{}', 'true', '"x"', '[1, "a"]',
          '99999999999999999999', '"gateway"', '"../../x"', '{ a = 1 }',
          '"' + 'y' * 3000 + '"']  # fmt: skip


@st.composite
def line_mutations(draw: st.DrawFn, seed: str) -> bytes:
    lines = seed.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["value", "value", "drop", "double", "swap"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(st.sampled_from(VALUES))}"
        elif op == "drop":
            del lines[i]
        elif op == "double":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    data = ("\n".join(lines) + "\n").encode()
    if draw(st.booleans()):
        data = draw(byte_mutations(data, most=2))
    return data


def _info(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@st.composite
def zip_mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """A zip exchange file made hostile: members changed, dropped or doubled; unsafe names,
    links and bombs added; sometimes its bytes damaged too."""
    with zipfile.ZipFile(io.BytesIO(seed)) as archive:
        members = [(i.filename, archive.read(i)) for i in archive.infolist()]
    extra: list[tuple[zipfile.ZipInfo, bytes]] = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(["change", "drop", "double", "climb", "absolute", "link", "bomb"])
        )
        i = draw(st.integers(0, len(members) - 1))
        name, data = members[i]
        if op == "change":
            members[i] = (name, draw(byte_mutations(data, most=2)))
        elif op == "drop" and len(members) > 1:
            del members[i]
        elif op == "double":
            extra.append((_info(name), data))
        elif op == "climb":
            extra.append((_info(f"{name.rsplit('/', 1)[0]}/../../{name}"), data))
        elif op == "absolute":
            extra.append((_info(f"/tmp/{name}"), data))
        elif op == "link":
            extra.append((_info(f"{name}.link", stat.S_IFLNK | 0o777), b"/etc/passwd"))
        elif op == "bomb":
            members[i] = (name, data + b"\0" * draw(st.sampled_from([1 << 20, 1 << 24])))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are the point
        for name, data in members:
            archive.writestr(_info(name), data)
        for info, data in extra:
            archive.writestr(info, data)
    out = buffer.getvalue()
    if draw(st.booleans()):
        out = draw(byte_mutations(out, most=1))
    return out


__all__ = [
    "EXAMPLES",
    "HOSTILE",
    "Tally",
    "byte_mutations",
    "check_import",
    "csv_mutations",
    "fresh_copy",
    "line_mutations",
    "zip_mutations",
]
