"""Criteria sets: the data that says how a stage is reviewed, loaded and validated.

A criteria file (TOML, format in resources/criteria/README.md) is checked whole when it is
loaded; the first problem found is reported with the file, the line and the key, so the
secretariat can fix a hand-edited file without reading code. A round keeps a snapshot of
the file it was opened with (`CriteriaSet.spec`), rebuilt through the same validator.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.paths import criteria_dir
from panel_desk.store.models import CriteriaSet, Criterion, Stage

FORMAT = 1
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
RECOMMENDATION_KEY = "recommendation"
"""The item key the overall recommendation has wherever criteria keys are used."""

STAGE_FILES = {
    Stage.GATEWAY: "gateway.toml",
    Stage.ENDORSEMENT: "endorsement.toml",
    Stage.PROVIDER_APPROVAL: "provider-approval.toml",
    Stage.PERIODIC_REVIEW: "periodic-review.toml",
}


@dataclass(frozen=True)
class Scale:
    key: str
    kind: str  # "categorical" or "numeric"
    options: tuple[str, ...] = ()
    passing: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        return self.kind == "numeric"

    def values(self) -> tuple[str, ...]:
        """Every value a reviewer may give, as text."""
        if self.numeric:
            assert self.min is not None and self.max is not None
            return tuple(str(v) for v in range(self.min, self.max + 1))
        return self.options


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    label: str
    group: str
    guidance: str
    scale: Scale
    weight: float
    gateway: bool
    divergence_threshold: float | None


@dataclass(frozen=True)
class Requirement:
    """A template field or document that screening checks for."""

    kind: str  # "field" or "document"
    key: str
    label: str
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExpertiseNeed:
    tag: str  # may hold "{area}", the submission's credential area
    label: str


@dataclass(frozen=True)
class RecommendationSpec:
    label: str
    options: tuple[str, ...]
    passing: tuple[str, ...]
    with_conditions: tuple[str, ...]


@dataclass(frozen=True)
class CriteriaSpec:
    source_name: str
    sha256: str
    data: Mapping[str, Any]
    stage: Stage
    title: str
    version: str
    competitive: bool
    divergence_threshold: float
    description: str
    criteria: tuple[CriterionSpec, ...]
    recommendation: RecommendationSpec
    fields: tuple[Requirement, ...]
    documents: tuple[Requirement, ...]
    team_size: int
    expertise: tuple[ExpertiseNeed, ...]

    def criterion(self, key: str) -> CriterionSpec:
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion
        raise KeyError(key)

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return self.fields + self.documents


# ---------------------------------------------------------------------------------------
# Finding the line a key sits on, for error messages.


class _Lines:
    """Maps table headers and keys of a TOML text to line numbers (1-based)."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.tables: dict[tuple[str, int | None], tuple[int, int]] = {}
        counts: dict[str, int] = {}
        current: tuple[str, int | None] = ("", None)
        start = 0
        for number, line in enumerate(self.lines):
            match = self._HEADER.match(line)
            if not match:
                continue
            self.tables.setdefault(current, (start, number))
            name = match.group(2).replace('"', "").replace(" ", "")
            if match.group(1) == "[[":
                index = counts.get(name, 0)
                counts[name] = index + 1
                current = (name, index)
            else:
                current = (name, None)
            start = number
        self.tables.setdefault(current, (start, len(self.lines)))

    def find(self, table: str, index: int | None, key: str | None) -> int | None:
        span = self.tables.get((table, index))
        if span is None:
            return None
        if key is None:
            return span[0] + 1
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(span[0], span[1]):
            if pattern.match(self.lines[number]):
                return number + 1
        if not table:
            # A top-level item is `key = …` or a table of its own; when it is neither, it is
            # missing and no line holds it: pointing at line 1 would only mislead.
            header = self.tables.get((key, None)) or self.tables.get((key, 0))
            return header[0] + 1 if header else None
        return span[0] + 1


class _Checker:
    """Validates the parsed TOML, raising BadInput at the first problem."""

    def __init__(self, source: str, data: Mapping[str, Any], text: str | None) -> None:
        self.source = source
        self.data = data
        self.lines = _Lines(text) if text is not None else None

    def fail(
        self, problem: str, table: str = "", index: int | None = None, key: str | None = None
    ) -> BadInput:
        path = table
        if index is not None:
            path += f"[{index + 1}]"
            entry = self._entry(table, index)
            if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
                path += f' (key "{entry["key"]}")'
        if key is not None:
            path = f"{path}.{key}" if path else key
        line = self.lines.find(table, index, key) if self.lines else None
        where = f"line {line}, {path}" if line else path
        return BadInput(self.source, problem, where)

    def _entry(self, table: str, index: int) -> Any:
        node: Any = self.data
        for part in table.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return node[index] if isinstance(node, list) and index < len(node) else None

    def known_keys(
        self,
        node: Mapping[str, Any],
        allowed: set[str],
        table: str = "",
        index: int | None = None,
    ) -> None:
        for key in node:
            if key not in allowed:
                raise self.fail(
                    f"unknown key (expected one of {', '.join(sorted(allowed))})",
                    table,
                    index,
                    key,
                )

    def text(
        self,
        node: Mapping[str, Any],
        key: str,
        table: str = "",
        index: int | None = None,
        default: str | None = None,
    ) -> str:
        value = node.get(key, default)
        if value is None:
            raise self.fail("is missing", table, index, key)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(f"must be non-empty text, got {value!r}", table, index, key)
        return value.strip()

    def number(
        self,
        node: Mapping[str, Any],
        key: str,
        table: str = "",
        index: int | None = None,
        minimum: float = 0.0,
        strict: bool = False,
        default: float | None = None,
    ) -> float:
        value = node.get(key, default)
        if value is None:
            raise self.fail("is missing", table, index, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"must be a number, got {value!r}", table, index, key)
        if not math.isfinite(value):  # TOML allows nan and inf; SQLite stores NaN as NULL
            raise self.fail(f"must be a finite number, got {value!r}", table, index, key)
        if value < minimum or (strict and value == minimum):
            relation = ">" if strict else "≥"
            raise self.fail(f"must be {relation} {minimum:g}, got {value!r}", table, index, key)
        return float(value)

    def flag(
        self,
        node: Mapping[str, Any],
        key: str,
        table: str = "",
        index: int | None = None,
        default: bool | None = None,
    ) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, got {value!r}", table, index, key)
        return value

    def strings(
        self,
        node: Mapping[str, Any],
        key: str,
        table: str = "",
        index: int | None = None,
        allow_empty: bool = False,
    ) -> tuple[str, ...]:
        value = node.get(key, [] if allow_empty else None)
        if value is None:
            raise self.fail("is missing", table, index, key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail("must be a list of non-empty texts", table, index, key)
        if not value and not allow_empty:
            raise self.fail("must not be empty", table, index, key)
        if len(set(value)) != len(value):
            raise self.fail("lists a value twice", table, index, key)
        return tuple(v.strip() for v in value)

    def table(self, node: Mapping[str, Any], key: str, optional: bool = False) -> Mapping[str, Any]:
        value = node.get(key)
        if value is None and optional:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail("is missing" if value is None else "must be a table", key=key)
        return value

    def array(self, node: Mapping[str, Any], key: str, table: str) -> list[Mapping[str, Any]]:
        value = node.get(key)
        name = f"{table}.{key}" if table else key
        if value is None:
            raise self.fail(f"is missing: add at least one [[{name}]] table", key=name)
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(f"must be an array of tables ([[{name}]])", key=name)
        if not value:
            raise self.fail("must not be empty", key=name)
        return value

    def subset(
        self,
        values: Sequence[str],
        of: Sequence[str],
        table: str,
        key: str,
        index: int | None = None,
    ) -> None:
        unknown = [v for v in values if v not in of]
        if unknown:
            raise self.fail(
                f"{unknown[0]!r} is not one of the options {list(of)}", table, index, key
            )


# ---------------------------------------------------------------------------------------
# Parsing.


def _parse_scales(check: _Checker) -> dict[str, Scale]:
    scales_node = check.table(check.data, "scales")
    if not scales_node:
        raise check.fail("must define at least one scale", key="scales")
    scales: dict[str, Scale] = {}
    for key, node in scales_node.items():
        table = f"scales.{key}"
        if not isinstance(node, Mapping):
            raise check.fail("must be a table", table)
        kind = check.text(node, "kind", table)
        if kind == "categorical":
            check.known_keys(node, {"kind", "options", "passing"}, table)
            options = check.strings(node, "options", table)
            passing = check.strings(node, "passing", table)
            check.subset(passing, options, table, "passing")
            scales[key] = Scale(key, kind, options=options, passing=passing)
        elif kind == "numeric":
            check.known_keys(node, {"kind", "min", "max", "labels"}, table)
            low, high = node.get("min"), node.get("max")
            for name, value in (("min", low), ("max", high)):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise check.fail(f"must be a whole number, got {value!r}", table, key=name)
            assert isinstance(low, int) and isinstance(high, int)
            if low >= high:
                raise check.fail(f"must be greater than min ({low}), got {high}", table, key="max")
            labels: dict[int, str] = {}
            for text_key, label in (node.get("labels") or {}).items():
                if not (text_key.lstrip("-").isdigit() and low <= int(text_key) <= high):
                    raise check.fail(
                        f"label {text_key!r} is not a value between {low} and {high}",
                        f"{table}.labels",
                        key=text_key,
                    )
                if not isinstance(label, str):
                    raise check.fail("must be text", f"{table}.labels", key=text_key)
                labels[int(text_key)] = label
            scales[key] = Scale(key, kind, min=low, max=high, labels=labels)
        else:
            raise check.fail(f"must be 'categorical' or 'numeric', got {kind!r}", table, key="kind")
    return scales


_CRITERION_KEYS = {
    "key",
    "label",
    "group",
    "scale",
    "gateway",
    "weight",
    "divergence_threshold",
    "guidance",
}


def _parse_criteria(check: _Checker, scales: Mapping[str, Scale]) -> tuple[CriterionSpec, ...]:
    seen: set[str] = set()
    criteria: list[CriterionSpec] = []
    for index, node in enumerate(check.array(check.data, "criteria", "")):
        table = "criteria"
        check.known_keys(node, _CRITERION_KEYS, table, index)
        key = check.text(node, "key", table, index)
        if not KEY_PATTERN.match(key) or key == RECOMMENDATION_KEY:
            raise check.fail(
                "must be lower case letters, digits and _ (and not 'recommendation')",
                table,
                index,
                "key",
            )
        if key in seen:
            raise check.fail(f"criterion key {key!r} is used twice", table, index, "key")
        seen.add(key)
        scale_key = check.text(node, "scale", table, index)
        if scale_key not in scales:
            raise check.fail(
                f"unknown scale {scale_key!r} (defined: {', '.join(scales)})", table, index, "scale"
            )
        scale = scales[scale_key]
        gateway = check.flag(node, "gateway", table, index, default=False)
        if gateway and scale.numeric:
            raise check.fail(
                "a gateway criterion needs a categorical scale", table, index, "gateway"
            )
        threshold = None
        if "divergence_threshold" in node:
            if not scale.numeric:
                raise check.fail(
                    "only numeric criteria have a divergence threshold (any categorical "
                    "disagreement is divergent)",
                    table,
                    index,
                    "divergence_threshold",
                )
            threshold = check.number(node, "divergence_threshold", table, index, strict=True)
        criteria.append(
            CriterionSpec(
                key=key,
                label=check.text(node, "label", table, index),
                group=check.text(node, "group", table, index, default=""),
                guidance=check.text(node, "guidance", table, index, default=""),
                scale=scale,
                weight=check.number(node, "weight", table, index, default=0.0),
                gateway=gateway,
                divergence_threshold=threshold,
            )
        )
    return tuple(criteria)


def _parse_recommendation(check: _Checker) -> RecommendationSpec:
    node = check.table(check.data, "recommendation")
    table = "recommendation"
    check.known_keys(node, {"label", "options", "passing", "with_conditions"}, table)
    options = check.strings(node, "options", table)
    passing = check.strings(node, "passing", table)
    check.subset(passing, options, table, "passing")
    with_conditions = check.strings(node, "with_conditions", table, allow_empty=True)
    check.subset(with_conditions, options, table, "with_conditions")
    return RecommendationSpec(
        label=check.text(node, "label", table, default="Overall recommendation"),
        options=options,
        passing=passing,
        with_conditions=with_conditions,
    )


def _parse_requirements(check: _Checker) -> tuple[tuple[Requirement, ...], ...]:
    node = check.table(check.data, "screening")
    check.known_keys(node, {"fields", "documents"}, "screening")
    parsed: list[tuple[Requirement, ...]] = []
    for kind, name in (("field", "fields"), ("document", "documents")):
        table = f"screening.{name}"
        seen: set[str] = set()
        items: list[Requirement] = []
        for index, entry in enumerate(check.array(node, name, "screening")):
            allowed = {"key", "label"} | ({"patterns"} if kind == "document" else set())
            check.known_keys(entry, allowed, table, index)
            key = check.text(entry, "key", table, index)
            if not KEY_PATTERN.match(key):
                raise check.fail("must be lower case letters, digits and _", table, index, "key")
            if key in seen:
                raise check.fail(f"{kind} key {key!r} is used twice", table, index, "key")
            seen.add(key)
            patterns = (
                tuple(p.lower() for p in check.strings(entry, "patterns", table, index))
                if kind == "document"
                else ()
            )
            items.append(Requirement(kind, key, check.text(entry, "label", table, index), patterns))
        parsed.append(tuple(items))
    return tuple(parsed)


def _parse_assignment(check: _Checker) -> tuple[int, tuple[ExpertiseNeed, ...]]:
    node = check.table(check.data, "assignment")
    check.known_keys(node, {"team_size", "expertise"}, "assignment")
    size = node.get("team_size", 3)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 12:
        raise check.fail(
            f"must be a whole number from 1 to 12, got {size!r}", "assignment", key="team_size"
        )
    needs: list[ExpertiseNeed] = []
    for index, entry in enumerate(check.array(node, "expertise", "assignment")):
        table = "assignment.expertise"
        check.known_keys(entry, {"tag", "label"}, table, index)
        tag = check.text(entry, "tag", table, index)
        if re.search(r"\{(?!area\})[^}]*\}", tag):
            raise check.fail("the only placeholder a tag may hold is {area}", table, index, "tag")
        needs.append(ExpertiseNeed(tag, check.text(entry, "label", table, index)))
    return size, tuple(needs)


_TOP_KEYS = {
    "format",
    "stage",
    "title",
    "version",
    "competitive",
    "divergence_threshold",
    "description",
    "scales",
    "criteria",
    "recommendation",
    "screening",
    "assignment",
}


def parse_criteria(
    data: Mapping[str, Any], source_name: str, sha256: str, text: str | None = None
) -> CriteriaSpec:
    """Validate parsed criteria data; `text` (the file's text) lets errors name the line."""
    check = _Checker(source_name, data, text)
    fmt = data.get("format")
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise check.fail(f"must be the format number {FORMAT}, got {fmt!r}", key="format")
    if fmt > FORMAT:
        raise check.fail(
            f"format {fmt} is newer than this panel_desk understands ({FORMAT}); update panel_desk",
            key="format",
        )
    if fmt < 1:
        raise check.fail(f"format {fmt} is not a known format", key="format")
    check.known_keys(data, _TOP_KEYS)
    stage_text = check.text(data, "stage")
    try:
        stage = Stage(stage_text)
    except ValueError:
        raise check.fail(
            f"unknown stage {stage_text!r} (one of {', '.join(s.value for s in Stage)})",
            key="stage",
        ) from None
    scales = _parse_scales(check)
    criteria = _parse_criteria(check, scales)
    competitive = check.flag(data, "competitive", default=False)
    if competitive and not any(c.weight > 0 and c.scale.numeric for c in criteria):
        raise check.fail(
            "a competitive stage needs at least one numeric criterion with a weight above 0",
            key="competitive",
        )
    fields, documents = _parse_requirements(check)
    team_size, expertise = _parse_assignment(check)
    return CriteriaSpec(
        source_name=source_name,
        sha256=sha256,
        data=data,
        stage=stage,
        title=check.text(data, "title"),
        version=check.text(data, "version"),
        competitive=competitive,
        divergence_threshold=check.number(data, "divergence_threshold", strict=True),
        description=check.text(data, "description", default=""),
        criteria=criteria,
        recommendation=_parse_recommendation(check),
        fields=fields,
        documents=documents,
        team_size=team_size,
        expertise=expertise,
    )


def load_criteria_file(path: Path) -> CriteriaSpec:
    """Read and validate one criteria file; BadInput names the file, line and key."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(str(path), "no such criteria file") from None
    except OSError as exc:
        raise BadInput(str(path), f"cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(str(path), "is not UTF-8 text", f"byte {exc.start}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"line {match.group(1)}, column {match.group(2)}" if match else ""
        if not match and "end of document" in message:
            # A truncated file, or a string or array left open: the end is where it broke.
            where = f"line {len(text.splitlines()) or 1}, at the end of the file"
        problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise BadInput(str(path), f"is not valid TOML: {problem}", where) from None
    return parse_criteria(data, str(path), hashlib.sha256(raw).hexdigest(), text)


def shipped_criteria_path(stage: Stage) -> Path:
    return criteria_dir() / STAGE_FILES[stage]


def shipped_criteria(stage: Stage) -> CriteriaSpec:
    return load_criteria_file(shipped_criteria_path(stage))


# ---------------------------------------------------------------------------------------
# Criteria sets in the database.


def store_criteria_set(session: Session, spec: CriteriaSpec) -> CriteriaSet:
    """The stored snapshot of `spec`, created on first use (one per distinct file)."""
    existing = session.scalar(select(CriteriaSet).where(CriteriaSet.sha256 == spec.sha256))
    if existing is not None:
        return existing
    criteria_set = CriteriaSet(
        stage=spec.stage.value,
        title=spec.title,
        version=spec.version,
        source_name=Path(spec.source_name).name,
        sha256=spec.sha256,
        competitive=spec.competitive,
        divergence_threshold=spec.divergence_threshold,
        spec=dict(spec.data),
    )
    for position, criterion in enumerate(spec.criteria):
        scale = criterion.scale
        criteria_set.criteria.append(
            Criterion(
                key=criterion.key,
                position=position,
                label=criterion.label,
                group=criterion.group,
                guidance=criterion.guidance,
                scale_kind=scale.kind,
                options=list(scale.options) if not scale.numeric else None,
                passing=list(scale.passing) if not scale.numeric else None,
                min_value=scale.min,
                max_value=scale.max,
                weight=criterion.weight,
                gateway=criterion.gateway,
                divergence_threshold=criterion.divergence_threshold,
            )
        )
    session.add(criteria_set)
    session.flush()
    return criteria_set


def spec_of(criteria_set: CriteriaSet) -> CriteriaSpec:
    """The validated spec of a stored criteria set."""
    return parse_criteria(criteria_set.spec, criteria_set.source_name, criteria_set.sha256)
