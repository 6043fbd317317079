"""Reading the text of an offline review form into its fields, each with its line number.

Only the shape is checked here (known fields, in their places, each once); what the values
mean — rounds, submissions, scales — is checked by review_form.import_form against the
database. Lines starting with ==-== are guidance and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from panel_desk.errors import BadInput

FORMAT = 1
FIELD = "==+=="
GUIDE = "==-=="
MAGIC = "panel_desk offline review form"
META = ("Format", "Round", "Reviewer")
PER_SUBMISSION = ("Score", "Comment", "Recommendation", "Conditions", "Overall comment")
VALUES = ("Score", "Recommendation")
_SUBMISSION = re.compile(r"^(\S+)(?:\s+\(version (\d+)\))?$")


@dataclass
class FormField:
    name: str  # "Score", "Comment", …
    key: str  # criterion key ("" for the recommendation's fields)
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)

    def text(self) -> str:
        lines = [text.rstrip() for _, text in self.body]
        return "\n".join(lines).strip("\n")


@dataclass
class FormSection:
    ref: str
    line: int
    version: int | None
    fields: list[FormField] = field(default_factory=list)


@dataclass
class ParsedForm:
    meta: dict[str, tuple[int, str]]
    sections: list[FormSection]


def decode(raw: bytes, source: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInput(source, "is not UTF-8 text: save it as UTF-8", f"line {line}") from None
    return text.removeprefix("\ufeff")


def parse_form(text: str, source: str) -> ParsedForm:
    """The form's fields with their line numbers; BadInput for anything not in its place."""
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines, 1) if line.strip()), None)
    if first is None or lines[first - 1].strip() != f"{FIELD} {MAGIC}":
        raise BadInput(
            source,
            f"is not a panel_desk offline review form (the first line should be '{FIELD} {MAGIC}')",
            f"line {first or 1}",
        )
    meta: dict[str, tuple[int, str]] = {}
    sections: list[FormSection] = []
    seen_refs: dict[str, int] = {}
    current: FormField | None = None
    for number, line in enumerate(lines[first:], first + 1):
        if line.startswith(GUIDE):
            continue
        if not line.startswith(FIELD):
            if current is not None:
                current.body.append((number, line))
            elif line.strip():
                raise BadInput(
                    source,
                    "text outside any field: put it after a ==+== line, or start the line "
                    "with ==-== to keep it as a note",
                    f"line {number}",
                )
            continue
        current = None
        header = line[len(FIELD) :].strip()
        if not header.strip("=") or header == "End of form":
            continue
        name, _, argument = (part.strip() for part in header.partition(":"))
        where = f"line {number}"
        if name in META:
            if name in meta:
                raise BadInput(source, f"'{name}' is given twice", where)
            if sections:
                raise BadInput(source, f"'{name}' must come before the first submission", where)
            meta[name] = (number, argument)
        elif name == "Submission":
            match = _SUBMISSION.match(argument)
            if match is None:
                raise BadInput(source, "say which submission: 'Submission: REF'", where)
            ref, version = match.group(1), match.group(2)
            if ref in seen_refs:
                raise BadInput(
                    source,
                    f"submission {ref} appears twice (first at line {seen_refs[ref]})",
                    where,
                )
            seen_refs[ref] = number
            sections.append(FormSection(ref, number, int(version) if version else None))
        elif name in PER_SUBMISSION:
            if not sections:
                raise BadInput(source, f"'{name}' must come after a 'Submission:' line", where)
            key = argument if name in ("Score", "Comment") else ""
            if name in ("Score", "Comment") and not key:
                raise BadInput(source, f"say which criterion: '{name}: KEY'", where)
            section = sections[-1]
            twice = next((f for f in section.fields if (f.name, f.key) == (name, key)), None)
            if twice is not None:
                label = f"{name}: {key}" if key else name
                raise BadInput(
                    source,
                    f"'{label}' appears twice in submission {section.ref} "
                    f"(first at line {twice.line})",
                    where,
                )
            current = FormField(name, key, number)
            section.fields.append(current)
        else:
            known = ", ".join((*META, "Submission", *PER_SUBMISSION))
            raise BadInput(source, f"unknown field '{name}' (the fields are {known})", where)
    return ParsedForm(meta, sections)
