"""The rules of one review, apart from any database: the values a criterion takes, what a
review needs before it may be submitted, and what changed between two versions.

The reviewer's editor, the offline form, the command line and the hub's import of returns
all judge a review here, so a review that one of them accepts every other accepts too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from panel_desk.errors import BadInput
from panel_desk.services.criteria import RECOMMENDATION_KEY, CriteriaSpec

CERTIFICATION_KEY = "certification"
"""The item key of the no-conflict certification in problems."""


@dataclass(frozen=True)
class CriterionForm:
    """One criterion as a reviewer scores it: its words, its scale and its guidance."""

    key: str
    label: str
    group: str
    guidance: str
    numeric: bool
    values: tuple[str, ...]
    labels: tuple[str, ...]  # the scale's words for each value ("" where it has none)
    passing: tuple[str, ...] = ()  # categorical values that meet the criterion

    def normalise(self, text: str) -> str | None:
        """The scale value `text` means (any case; a numeric label also works), or None."""
        if text in self.values:  # already canonical: a return's 800,000 values mostly are
            return text
        wanted = " ".join(text.split()).casefold()
        if not wanted:
            return ""
        for value, label in zip(self.values, self.labels, strict=True):
            if wanted in (value.casefold(), label.casefold(), f"{value} {label}".casefold()):
                return value
        if self.numeric and wanted.endswith(".0") and wanted[:-2] in self.values:
            return wanted[:-2]
        return None

    def needs_comment(self, value: str) -> bool:
        """A criterion not met needs a comment saying why."""
        return bool(value) and not self.numeric and value not in self.passing

    def scale_text(self) -> str:
        return ", ".join(self.values)

    def choice_text(self, value: str) -> str:
        """`value` with its words, as shown beside a chosen score: '4 · High priority'."""
        if not value:
            return ""
        label = self.labels[self.values.index(value)] if value in self.values else ""
        return f"{value} · {label}" if label and label != value else value


@dataclass(frozen=True)
class RecommendationForm:
    label: str
    options: tuple[str, ...]
    passing: tuple[str, ...]
    with_conditions: tuple[str, ...]

    def normalise(self, text: str) -> str | None:
        wanted = " ".join(text.split()).casefold()
        if not wanted:
            return ""
        return next((o for o in self.options if o.casefold() == wanted), None)


def criteria_forms(spec: CriteriaSpec) -> tuple[tuple[CriterionForm, ...], RecommendationForm]:
    """The criteria and recommendation of a criteria set, as a reviewer meets them."""
    forms = []
    for criterion in spec.criteria:
        scale = criterion.scale
        values = scale.values()
        labels = tuple(scale.labels.get(int(v), "") for v in values) if scale.numeric else values
        forms.append(
            CriterionForm(
                key=criterion.key,
                label=criterion.label,
                group=criterion.group,
                guidance=" ".join(criterion.guidance.split()),
                numeric=scale.numeric,
                values=values,
                labels=labels,
                passing=() if scale.numeric else scale.passing,
            )
        )
    r = spec.recommendation
    return tuple(forms), RecommendationForm(r.label, r.options, r.passing, r.with_conditions)


class ScoreEntry(NamedTuple):
    """A criterion's value and comment. A named tuple, not a dataclass: the hub reads
    800,000 of them from a large round's returns, and a tuple is made three times faster."""

    key: str
    value: str = ""
    comment: str = ""


@dataclass(frozen=True)
class ReviewContent:
    """What a reviewer writes: a value and a comment per criterion, and the overall view."""

    scores: tuple[ScoreEntry, ...] = ()
    recommendation: str = ""
    conditions: str = ""
    comment: str = ""
    _by_key: dict[str, ScoreEntry] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {s.key: s for s in self.scores})

    def score(self, key: str) -> ScoreEntry:
        return self._by_key.get(key) or ScoreEntry(key)

    def with_score(
        self, key: str, value: str | None = None, comment: str | None = None
    ) -> ReviewContent:
        old = self.score(key)
        new = ScoreEntry(
            key, old.value if value is None else value, old.comment if comment is None else comment
        )
        scores = [new if s.key == key else s for s in self.scores]
        if key not in self._by_key:
            scores.append(new)
        return replace(self, scores=tuple(scores))

    def ordered(self, criteria: Sequence[CriterionForm]) -> ReviewContent:
        """One entry per criterion, in the criteria's order (blank where none was given)."""
        scores = tuple(self.score(c.key) for c in criteria)
        if scores == self.scores:
            return self
        return replace(self, scores=scores)

    def is_blank(self) -> bool:
        return not any((s.value or s.comment.strip()) for s in self.scores) and not (
            self.recommendation or self.conditions.strip() or self.comment.strip()
        )

    def as_json(self) -> dict[str, object]:
        return {
            "scores": [[s.key, s.value, s.comment] for s in sorted(self.scores, key=_key)],
            "recommendation": self.recommendation,
            "conditions": self.conditions,
            "comment": self.comment,
        }

    def digest(self) -> str:
        """SHA-256 of the content: the audit trail records it when a review is submitted."""
        text = json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def same_as(self, other: ReviewContent) -> bool:
        """Equal once blank entries are ignored (a blank score and no score are the same)."""
        mine = {s.key: s for s in self.scores if s.value or s.comment}
        theirs = {s.key: s for s in other.scores if s.value or s.comment}
        return mine == theirs and (self.recommendation, self.conditions, self.comment) == (
            other.recommendation,
            other.conditions,
            other.comment,
        )


def _key(score: ScoreEntry) -> str:
    return score.key


def check_values(
    criteria: Sequence[CriterionForm],
    recommendation: RecommendationForm,
    content: ReviewContent,
    source: str = "review",
) -> ReviewContent:
    """`content` with every value in its canonical spelling; BadInput for an unknown
    criterion, one scored twice or a value off its scale. Drafts may be incomplete, never
    wrong."""
    by_key = {c.key: c for c in criteria}
    scores = []
    seen: set[str] = set()
    for entry in content.scores:
        criterion = by_key.get(entry.key)
        if criterion is None:
            raise BadInput(
                source, f"unknown criterion {entry.key!r} (criteria: {', '.join(by_key)})"
            )
        if entry.key in seen:  # one score per criterion: a second would be ambiguous
            raise BadInput(
                source, f"scores criterion {entry.key!r} twice", f"criterion {entry.key}"
            )
        seen.add(entry.key)
        value = criterion.normalise(entry.value)
        if value is None:
            raise BadInput(
                source,
                f"{entry.value!r} is not on the scale {criterion.scale_text()}",
                f"criterion {entry.key}",
            )
        scores.append(
            entry if value == entry.value else ScoreEntry(entry.key, value, entry.comment)
        )
    outcome = recommendation.normalise(content.recommendation)
    if outcome is None:
        raise BadInput(
            source,
            f"{content.recommendation!r} is not a recommendation "
            f"({', '.join(recommendation.options)})",
            RECOMMENDATION_KEY,
        )
    if outcome == content.recommendation and all(
        a is b for a, b in zip(scores, content.scores, strict=True)
    ):
        return content  # already canonical: spare a copy
    return replace(content, scores=tuple(scores), recommendation=outcome)


@dataclass(frozen=True)
class Problem:
    """Something that stops a review being submitted, and where in the form it is."""

    key: str  # a criterion key, RECOMMENDATION_KEY or CERTIFICATION_KEY
    part: str  # "value", "comment", "conditions" or "certification"
    message: str


def submission_problems(
    criteria: Sequence[CriterionForm],
    recommendation: RecommendationForm,
    content: ReviewContent,
    certified: bool,
) -> list[Problem]:
    """Everything missing before `content` may be submitted, in the order of the form."""
    problems: list[Problem] = []
    for criterion in criteria:
        entry = content.score(criterion.key)
        if entry.value not in criterion.values:
            problems.append(
                Problem(criterion.key, "value", f"{criterion.label}: choose a value on the scale")
            )
        elif criterion.needs_comment(entry.value) and not entry.comment.strip():
            problems.append(
                Problem(
                    criterion.key,
                    "comment",
                    f"{criterion.label}: '{entry.value}' needs a comment saying why",
                )
            )
    if content.recommendation not in recommendation.options:
        problems.append(Problem(RECOMMENDATION_KEY, "value", f"{recommendation.label}: choose one"))
    elif (
        content.recommendation in recommendation.with_conditions and not content.conditions.strip()
    ):
        problems.append(
            Problem(
                RECOMMENDATION_KEY,
                "conditions",
                f"{recommendation.label}: '{content.recommendation}' needs its conditions",
            )
        )
    if not certified:
        problems.append(
            Problem(
                CERTIFICATION_KEY,
                "certification",
                "Certify that you have no conflict of interest (or declare one)",
            )
        )
    return problems


@dataclass(frozen=True)
class Difference:
    """One thing that changed between two versions of a review."""

    key: str
    label: str
    part: str  # "value", "comment", "conditions"
    before: str
    after: str


def differences(
    criteria: Iterable[CriterionForm],
    recommendation: RecommendationForm,
    before: ReviewContent,
    after: ReviewContent,
) -> list[Difference]:
    """Criterion by criterion, then the recommendation, its conditions and the comment."""
    found: list[Difference] = []
    for criterion in criteria:
        old, new = before.score(criterion.key), after.score(criterion.key)
        for part, a, b in (("value", old.value, new.value), ("comment", old.comment, new.comment)):
            if a != b:
                found.append(Difference(criterion.key, criterion.label, part, a, b))
    for part, a, b in (
        ("value", before.recommendation, after.recommendation),
        ("conditions", before.conditions, after.conditions),
        ("comment", before.comment, after.comment),
    ):
        if a != b:
            found.append(Difference(RECOMMENDATION_KEY, recommendation.label, part, a, b))
    return found
