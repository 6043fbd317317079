"""The offline review form: plain UTF-8 text a reviewer edits in any editor, like HotCRP's.

`export_form` writes my assignments of a round with the current draft values filled in;
guidance is on lines starting with `==-==`, which reading ignores. `import_form` reads an
edited form back into DRAFT reviews (never submits), all or nothing: every problem is
BadInput naming the file and the line. Reading the same form twice changes nothing.

    ==+== panel_desk offline review form
    ==+== Format: 1
    ==+== Round: EN-2026-02
    ==+== Reviewer: someone@example.org
    ==+== Submission: EN-01
    ==+== Score: assessment          the line after holds the value
    ==+== Comment: assessment        the lines after hold the text
    ==+== Recommendation / Conditions / Overall comment
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import audit
from panel_desk.services.progress import Progress as Steps
from panel_desk.services.progress import no_progress
from panel_desk.services.review_form_text import (
    FIELD,
    FORMAT,
    GUIDE,
    MAGIC,
    VALUES,
    FormSection,
    ParsedForm,
    decode,
    parse_form,
)
from panel_desk.services.review_rules import ReviewContent, submission_problems
from panel_desk.services.review_views import review_form
from panel_desk.services.reviewing import (
    Progress,
    due_text,
    find_assignment,
    my_reviews,
    resolve_round,
    save_draft,
)
from panel_desk.services.roster import person_by_email
from panel_desk.services.rounds import round_by_ref

WIDTH = 78


# --- writing ---------------------------------------------------------------------------------


def _guide(text: str, indent: str = "") -> list[str]:
    return [
        f"{GUIDE} {line}".rstrip()
        for line in textwrap.wrap(text, WIDTH - len(GUIDE) - 1, subsequent_indent=indent) or [""]
    ]


def export_form(session: Session, email: str, round_ref: str | None = None) -> str:
    """The form for my assignments in a round (my only round when `round_ref` is None)."""
    person = person_by_email(session, email)
    round_ = resolve_round(session, email, round_ref)
    mine = my_reviews(session, person.email, round_.id)
    lines = [
        f"{FIELD} {MAGIC}",
        f"{FIELD} Format: {FORMAT}",
        f"{FIELD} Round: {round_.ref}",
        f"{FIELD} Reviewer: {person.email}",
        *_guide(f"{round_.title} — reviews by {person.name}"),
        *_guide(mine.progress_line()),
        GUIDE,
        *_guide("How to use this form:"),
        *_guide(
            "Lines starting with ==-== are guidance and are ignored when the form is read "
            "back. Lines starting with ==+== say what follows them: keep them as they are."
        ),
        *_guide(
            "Write a score or a recommendation on the line after its ==+== line, and "
            "comments as free text (as many lines as you like). Leave a value empty when "
            "you have not decided yet. Delete a whole submission to leave it untouched."
        ),
        *_guide(f"Read it back with: panel-desk review form import FILE --as {person.email}"),
        *_guide(
            "Reading the form saves drafts only. Submit each review in the app, or with: "
            f"panel-desk review submit --submission REF --certify-no-conflict --as {person.email}"
        ),
    ]
    locked = [i for i in mine.items if i.progress in (Progress.SUBMITTED, Progress.CONFLICT)]
    if locked:
        lines += [
            GUIDE,
            *_guide(
                "Not in this form: "
                + "; ".join(f"{i.submission_ref} ({i.progress.label})" for i in locked)
                + ". A submitted review changes only through a correction with a reason "
                "(in the app, or panel-desk review correct)."
            ),
        ]
    for item in mine.items:
        if item in locked:
            continue
        form = review_form(session, item.assignment_id, person.email)
        lines += ["", f"{FIELD} {'=' * (WIDTH - len(FIELD) - 1)}"]
        version = f" (version {item.version})" if item.version else ""
        lines += [f"{FIELD} Submission: {item.submission_ref}{version}", *_guide(item.title)]
        lines += _guide(f"Lead organisation: {item.lead} · {item.progress.label}")
        for criterion in form.criteria:
            entry = form.content.score(criterion.key)
            lines += ["", f"{FIELD} Score: {criterion.key}", *_guide(criterion.label)]
            if criterion.group:
                lines += _guide(f"({criterion.group})")
            if criterion.guidance:
                lines += _guide("Guidance: " + criterion.guidance, "  ")
            if criterion.numeric:
                scale = " | ".join(
                    f"{v} {label}".strip()
                    for v, label in zip(criterion.values, criterion.labels, strict=True)
                )
                lines += _guide(f"Scale: {scale} — write the number")
            else:
                lines += _guide("Scale: " + " | ".join(criterion.values))
                failing = [v for v in criterion.values if criterion.needs_comment(v)]
                if failing:
                    lines += _guide(f"A comment is needed for: {', '.join(failing)}")
            lines += [entry.value, "", f"{FIELD} Comment: {criterion.key}"]
            lines += entry.comment.splitlines()
        recommendation = form.recommendation
        lines += ["", f"{FIELD} Recommendation"]
        lines += _guide(f"{recommendation.label}: " + " | ".join(recommendation.options))
        lines += [form.content.recommendation, "", f"{FIELD} Conditions"]
        if recommendation.with_conditions:
            lines += _guide("Needed for: " + ", ".join(recommendation.with_conditions))
        lines += form.content.conditions.splitlines()
        lines += ["", f"{FIELD} Overall comment", *form.content.comment.splitlines()]
    lines += ["", f"{FIELD} End of form"]
    if mine.deadline:
        lines += _guide(f"Reviews are due {due_text(mine.deadline)}.")
    return "\n".join(lines) + "\n"


def write_form(session: Session, email: str, round_ref: str | None, path: Path) -> int:
    """Write my form to `path`; returns how many submissions it holds."""
    text = export_form(session, email, round_ref)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise BadInput(str(path), f"cannot be written: {exc.strerror}") from None
    return sum(1 for line in text.splitlines() if line.startswith(f"{FIELD} Submission:"))


# --- reading ---------------------------------------------------------------------------------


def _check_meta(session: Session, parsed: ParsedForm, email: str, source: str) -> str:
    """The round's ref, once the form's format, round and reviewer are checked."""
    fmt = parsed.meta.get("Format")
    if fmt is None:
        raise BadInput(source, f"says no format: add '{FIELD} Format: {FORMAT}'", "line 1")
    line, text = fmt
    if not text.isdigit():
        raise BadInput(source, f"'{text}' is not a form format number", f"line {line}")
    if int(text) != FORMAT:
        problem = (
            f"format {text} is newer than this panel_desk understands ({FORMAT}); update panel_desk"
            if int(text) > FORMAT
            else f"format {text} is not a known form format"
        )
        raise BadInput(source, problem, f"line {line}")
    for name in ("Round", "Reviewer"):
        if name not in parsed.meta or not parsed.meta[name][1]:
            raise BadInput(source, f"says no {name.lower()}: add '{FIELD} {name}: …'", "line 1")
    line, reviewer = parsed.meta["Reviewer"]
    if reviewer.strip().lower() != email.strip().lower():
        raise BadInput(
            source, f"is the form of {reviewer}, but you are acting as {email}", f"line {line}"
        )
    line, ref = parsed.meta["Round"]
    try:
        return round_by_ref(session, ref).ref
    except BadInput as error:
        raise BadInput(source, error.problem, f"line {line}") from None


@dataclass(frozen=True)
class FormImport:
    source: str
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    ready: tuple[str, ...]  # drafts with nothing missing: they may be submitted
    to_do: tuple[tuple[str, int], ...]  # (ref, how many items still missing)

    def __str__(self) -> str:
        parts = [
            f"{len(self.updated)} draft{'s' * (len(self.updated) != 1)} updated"
            + (f" ({', '.join(self.updated)})" if self.updated else ""),
            f"{len(self.unchanged)} unchanged",
        ]
        if self.ready:
            parts.append(f"ready to submit: {', '.join(self.ready)}")
        if self.to_do:
            parts.append(
                "still to do: "
                + ", ".join(f"{r} ({n} item{'s' * (n != 1)})" for r, n in self.to_do)
            )
        return f"{self.source}: " + "; ".join(parts)


def _merged(form, section: FormSection, source: str) -> ReviewContent:
    """The draft `section` describes: the current values with the form's fields over them."""
    content = form.content
    keys = {c.key for c in form.criteria}
    for item in section.fields:
        where = f"line {item.line}"
        text = item.text()
        if item.key and item.key not in keys:
            raise BadInput(
                source,
                f"no criterion '{item.key}' in {form.round_ref} (criteria: {', '.join(keys)})",
                where,
            )
        if item.name in VALUES:
            values = [(n, t.strip()) for n, t in item.body if t.strip()]
            if len(values) > 1:
                raise BadInput(
                    source,
                    "write one value on one line (a comment has its own field)",
                    f"line {values[1][0]}",
                )
            if values:
                where, text = f"line {values[0][0]}", values[0][1]
        if item.name == "Score":
            criterion = form.criterion(item.key)
            value = criterion.normalise(text)
            if value is None:
                raise BadInput(
                    source, f"'{text}' is not on the scale {criterion.scale_text()}", where
                )
            content = content.with_score(item.key, value=value)
        elif item.name == "Comment":
            old = content.score(item.key).comment
            content = content.with_score(item.key, comment=old if old.strip() == text else text)
        elif item.name == "Recommendation":
            value = form.recommendation.normalise(text)
            if value is None:
                raise BadInput(
                    source,
                    f"'{text}' is not a recommendation ({', '.join(form.recommendation.options)})",
                    where,
                )
            content = ReviewContent(content.scores, value, content.conditions, content.comment)
        else:
            attribute = "conditions" if item.name == "Conditions" else "comment"
            old = getattr(content, attribute)
            new = old if old.strip() == text else text
            content = ReviewContent(
                content.scores,
                content.recommendation,
                new if attribute == "conditions" else content.conditions,
                new if attribute == "comment" else content.comment,
            )
    return content


def import_form(
    session: Session, path: Path, email: str, progress: Steps = no_progress
) -> FormImport:
    """Fill my draft reviews from an edited form: all of it, or nothing (BadInput).

    `progress` is told of each review checked and saved; it may raise Cancelled, which
    rolls the whole import back like a refusal."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(source, "no such file") from None
    except OSError as exc:
        raise BadInput(source, f"cannot be read: {exc.strerror}") from None
    parsed = parse_form(decode(raw, source), source)
    email = person_by_email(session, email).email
    round_ref = _check_meta(session, parsed, email, source)
    plans = []
    total = len(parsed.sections)
    for n, section in enumerate(parsed.sections):
        progress(n, 2 * total, f"Checking the review of {section.ref}")
        where = f"line {section.line}"
        try:
            assignment_id = find_assignment(session, email, section.ref, round_ref)
            form = review_form(session, assignment_id, email)
        except BadInput as error:
            raise BadInput(source, error.problem, where) from None
        if not form.editable:
            problem = (
                f"you declared a conflict with {section.ref}; it cannot be scored"
                if form.progress == Progress.CONFLICT
                else f"{section.ref} is submitted and cannot be changed: start a correction "
                "with a reason (panel-desk review correct), then export the form again"
            )
            raise BadInput(source, problem, where)
        current = form.current.version if form.current else None
        if section.version is not None and section.version != current:
            raise BadInput(
                source,
                f"{section.ref} was exported at version {section.version}, but "
                f"{'version ' + str(current) if current else 'no version'} is open now: "
                "export the form again so nothing newer is overwritten",
                where,
            )
        plans.append((section.ref, assignment_id, form, _merged(form, section, source)))
    updated, unchanged, ready, to_do = [], [], [], []
    for n, (ref, assignment_id, form, content) in enumerate(plans):
        progress(total + n, 2 * total, f"Saving the review of {ref}")
        saved = save_draft(session, assignment_id, email, content)
        (updated if saved.changed else unchanged).append(ref)
        if saved.version:
            missing = submission_problems(form.criteria, form.recommendation, content, True)
            if missing:
                to_do.append((ref, len(missing)))
            else:
                ready.append(ref)
    if updated:
        audit.record(
            session,
            email,
            "review.form_imported",
            "round",
            round_ref,
            {"reviewer": email, "file": path.name, "updated": updated},
        )
    return FormImport(source, tuple(updated), tuple(unchanged), tuple(ready), tuple(to_do))
