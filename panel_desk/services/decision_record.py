"""The decision record: the round's signed-off decisions as a PDF a public body publishes.

Sections: a cover with the round, its outcome in figures and how to check the record;
1 the round and its stage; 2 the criteria; 3 the summary of outcomes (for a competitive
round the ranking, with the cut-line drawn across it); 4 a page per submission (outcome,
conditions, moderated scores, rationale, feedback and the reviewers' comments,
anonymised); 5 conflicts of interest; 6 the signatories; 7 the audit trail and how to
verify. Laid out by pdf_layout.py; each signatory then adds a PAdES signature (packs.py).
"""

from __future__ import annotations

from collections import Counter

from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Spacer

from panel_desk.services.decision_set import Decision, Place
from panel_desk.services.pack_content import PackContent, SubmissionRecord
from panel_desk.services.pdf_layout import (
    ACCENT,
    BAD,
    GOOD,
    LINE_FILL,
    STYLES,
    Running,
    address,
    breakable,
    build_pdf,
    facts,
    heading_over_table,
    markup,
    para,
    table,
    text,
)
from panel_desk.services.progress import Progress, no_progress

S = STYLES


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def outcome_markup(d: Decision) -> str:
    if not d.considered:
        return f'<font color="{MUTED_HEX}">not considered</font>'
    if not d.outcome:
        return "—"
    colour = GOOD.hexval()[2:] if d.successful else BAD.hexval()[2:]
    return f'<font color="#{colour}"><b>{text(d.outcome)}</b></font>'


MUTED_HEX = "#5f6b78"


def place_text(place: Place | None, ranked: int) -> str:
    if place is None:
        return ""
    if place.position is None:
        return f"not ranked: {place.status}"
    tie = " (tied)" if place.tied else ""
    side = (
        ""
        if place.above is None
        else (", above the cut-line" if place.above else ", below the cut-line")
    )
    return f"{ordinal(place.position)} of {ranked}{tie}, weighted score {place.score}{side}"


def _running(content: PackContent) -> Running:
    d = content.decisions
    return Running(
        content.organisation,
        f"Decision record · {d.round_ref}",
        f"Recommendation set SHA-256 {d.digest[:16]}…",
    )


# --- cover and the round ---------------------------------------------------------------------


def _cover(content: PackContent) -> list[Flowable]:
    d = content.decisions
    considered = d.considered
    outcomes = Counter(x.outcome for x in considered)
    names = ", ".join(s.name for s in content.signatories)
    summary = "; ".join(f"{n} {text(o)}" for o, n in outcomes.most_common())
    rows: list[tuple[str, object]] = [
        ("Round", f"{d.round_ref} — {d.round_title}"),
        ("Stage", d.stage_label),
        ("Criteria set", f"{d.spec.title}, version {d.spec.version}"),
        ("Opened", content.opens_on.strftime("%-d %B %Y")),
        ("Submissions", f"{len(d.decisions)} received, {len(considered)} considered"),
        ("Outcomes", markup(summary or "none", S.cell)),
        ("Signed off", f"{content.signed_off_on:%-d %B %Y} by {names}"),
        ("Quorum", f"{d.quorum} signatures of the Education Assurance Group"),
        ("Recommendation set", markup(f"SHA-256 {breakable(d.digest)}", S.mono)),
        ("Audit trail head", markup(f"{breakable(content.audit_head)}", S.mono)),
    ]
    if content.review_deadline:
        rows.insert(4, ("Review deadline", content.review_deadline.strftime("%-d %B %Y")))
    return [
        Spacer(1, 30),
        para(content.organisation, S.subtitle),
        Spacer(1, 18),
        para("Decision record", S.title),
        para(d.round_title, S.subtitle),
        Spacer(1, 24),
        facts(rows),
        Spacer(1, 18),
        para("About this record", S.h2),
        para(
            "This record sets out the recommendations made on the submissions to this round, "
            "as moderated by the moderation panel and signed off by the Centre's Education "
            "Assurance Group. Peer reviewers are not named: their comments are attributed to "
            "Reviewer 1, Reviewer 2 and so on, by submission."
        ),
        para(
            "Each signatory has signed this document digitally (PAdES). A PDF reader that "
            "trusts the organisation's certificate (authority.pem in the decision pack) shows "
            "every signature as valid; any later change to the document breaks them. The "
            "whole pack can be checked with: panel-desk verify PACK."
        ),
        PageBreak(),
    ]


def _round(content: PackContent) -> list[Flowable]:
    d = content.decisions
    ranked = "yes: proposals are ranked against the support available"
    criteria = f"{d.spec.title}, version {d.spec.version} (SHA-256 {d.spec.sha256[:16]}…)"
    rows = [
        ("Stage", d.stage_label),
        ("Competitive", ranked if d.competitive else "no"),
        ("Criteria set", criteria),
        ("Recommendation options", "; ".join(d.spec.recommendation.options)),
        ("Sign-off quorum", str(d.quorum)),
    ]
    if d.cutline is not None:
        line = d.cutline
        where = f"{line['places']} places" if line["places"] is not None else "no cut-line"
        if line["moved"]:
            where += f" (moved by the chair: {line['rationale']})"
        elif line["basis"] == "budget":
            where += f" (from the budget of £{line['budget']})"
        rows.append(("Cut-line", where))
    return [
        para("1. The round and its stage", S.h1),
        facts(rows),
        Spacer(1, 8),
        para(content.description or d.spec.title),
        para(
            "Every stage runs the same process: screening for information gaps, assignment of "
            "peer reviewers with conflicts of interest checked, independent peer review, "
            "moderation of divergent views with a rationale for each, oversight, and sign-off "
            "by the Education Assurance Group."
        ),
    ]


def _criteria(content: PackContent) -> list[Flowable]:
    d = content.decisions
    if not d.competitive:  # every criterion is judged on its own: no weights
        rows = [["Criterion", "Group", "Scale"]]
        rows += [[c.label, c.group, c.scale] for c in d.criteria]
        return [para("2. Criteria", S.h1), table(rows, (0.5, 0.26, 0.24))]
    rows = [["Criterion", "Group", "Scale", "Weight"]]
    for c in d.criteria:
        weight = "gateway: must be met" if c.gateway else (f"{c.weight:.0%}" if c.weight else "—")
        rows.append([c.label, c.group, c.scale, weight])
    return [para("2. Criteria", S.h1), table(rows, (0.46, 0.2, 0.17, 0.17))]


# --- the summary -----------------------------------------------------------------------------


def _summary(content: PackContent) -> list[Flowable]:
    d = content.decisions
    out: list[Flowable] = [PageBreak(), para("3. Summary of outcomes", S.h1)]
    counts = Counter(x.outcome for x in d.considered)
    said = "; ".join(f"{n} {o}" for o, n in counts.most_common())
    out.append(para(f"{len(d.considered)} submissions were considered: {said}."))
    if not d.competitive:
        rows = [["Ref", "Title", "Lead organisation", "Outcome"]]
        rows += [[x.ref, x.title, x.lead, markup(outcome_markup(x), S.cell)] for x in d.decisions]
        return [*out, table(rows, (0.11, 0.39, 0.27, 0.23))]
    ranked = sorted(
        (x for x in d.decisions if x.place and x.place.position is not None),
        key=lambda x: x.place.position or 0,  # type: ignore[union-attr]
    )
    rows = [["Rank", "Ref", "Title", "Score", "Outcome"]]
    extra = []
    line = (d.cutline or {}).get("places")
    for x in ranked:
        assert x.place is not None
        rank = f"{x.place.rank}{'=' if x.place.tied else ''}"
        rows.append([rank, x.ref, x.title, x.place.score, markup(outcome_markup(x), S.cell)])
        if line is not None and x.place.position == line:
            rows.append(
                [markup(f"<b>Cut-line: {line} places supported</b>", S.cell), "", "", "", ""]
            )
            extra += [
                ("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), LINE_FILL),
                ("LINEABOVE", (0, len(rows) - 1), (-1, len(rows) - 1), 1.2, ACCENT),
            ]
    out.append(
        para(
            f"{len(ranked)} proposals met every gateway criterion and were ranked by their "
            "weighted moderated score. Ties were broken by the score on the most heavily "
            "weighted criterion, then by the consistency of the reviewers' assessment."
        )
    )
    out.append(table(rows, (0.07, 0.1, 0.42, 0.08, 0.33), extra=extra))
    others = [x for x in d.decisions if x not in ranked]
    if others:
        rows = [["Ref", "Title", "Why not ranked", "Outcome"]]
        for x in others:
            why = x.place.reason if x.place and x.place.reason else x.note or "—"
            rows.append([x.ref, x.title, why, markup(outcome_markup(x), S.cell)])
        out += [*heading_over_table("Not ranked"), table(rows, (0.11, 0.33, 0.34, 0.22))]
    return out


# --- a page per submission --------------------------------------------------------------------


def _submission(record: SubmissionRecord, number: int, content: PackContent) -> list[Flowable]:
    d = record.decision
    labels = {c.key: c.label for c in content.decisions.criteria}
    ranked = sum(1 for x in content.decisions.decisions if x.place and x.place.position)
    head = [
        PageBreak() if number > 1 else Spacer(1, 6),
        para(f"4.{number} {d.ref} — {d.title}", S.h1),
    ]
    rows: list[tuple[str, object]] = [("Lead organisation", d.lead)]
    if record.partners:
        rows.append(("Partners", "; ".join(record.partners)))
    rows.append(("Outcome", markup(outcome_markup(d), S.cell)))
    if d.place is not None:
        rows.append(("Ranking", place_text(d.place, ranked)))
    if d.version:
        rows.append(("Recommendation", f"version {d.version}, {d.reviews} submitted reviews"))
    out: list[Flowable] = [*head, facts(rows, 0.25)]
    if not d.considered:
        gaps = "; ".join(record.gaps) or "information gaps"
        return [
            *out,
            Spacer(1, 6),
            para(f"Not considered at this stage. Screening found: {gaps}."),
        ]
    if d.conditions:
        out += [para("Conditions", S.h2), para(d.conditions)]
    if d.rationale:
        out += [para("Rationale", S.h2), para(d.rationale)]
    if d.feedback:
        out += [para("Feedback to the submitter", S.h2), para(d.feedback)]
    out += [*heading_over_table("Moderated scores"), _scores(d, content)]
    if record.reviews:
        out += [
            *heading_over_table("Reviewers' comments (anonymised)"),
            _comments(record, d.ref, labels),
        ]
    return out


def _scores(d: Decision, content: PackContent) -> Flowable:
    spec = content.decisions.spec
    labels = {c.key: c.label for c in content.decisions.criteria}
    rows: list[list[object]] = [["Criterion", "Moderated score", "Basis"]]
    for s in d.scores:
        if s.moderated:
            basis = f"moderated by the panel: {s.rationale}"
        elif spec.criterion(s.key).scale.numeric:
            basis = f"mean of the {d.reviews} reviewers' scores"
        else:
            basis = "the reviewers agreed"
        rows.append([labels.get(s.key, s.key), s.value or "—", basis])
    return table(rows, (0.42, 0.16, 0.42))


def _comments(record: SubmissionRecord, ref: str, labels: dict[str, str]) -> Flowable:
    """Criteria down, reviewers across: each cell the reviewer's score and comment. The
    header, repeated where the table runs onto another page, names the submission."""
    reviews = record.reviews
    first = 0.22 if len(reviews) > 2 else 0.3
    widths = (first, *[(1 - first) / len(reviews)] * len(reviews))
    rows: list[list[object]] = [[ref, *(r.label for r in reviews)]]
    overall = ["Overall recommendation"]
    for r in reviews:
        said = f"<b>{text(r.recommendation or '—')}</b>"
        overall.append(markup(said + (f"<br/>{text(r.comment)}" if r.comment else ""), S.cell))
    rows.append(overall)
    for key, label in labels.items():
        row: list[object] = [label]
        for r in reviews:
            given = next((c for c in r.criteria if c.key == key), None)
            if given is None:
                row.append("—")
                continue
            comment = f"<br/>{text(given.comment)}" if given.comment else ""
            row.append(markup(f"<b>{text(given.value)}</b>{comment}", S.cell))
        rows.append(row)
    return table(rows, widths)


# --- conflicts, signatories, audit ------------------------------------------------------------


def _conflicts(content: PackContent) -> list[Flowable]:
    rows = [["Rule", "Kind", "Found", "Kept apart", "Cleared", "Managed"]]
    for c in content.conflicts:
        rows.append(
            [c.rule, c.severity, str(c.found), str(c.kept_apart), str(c.cleared), str(c.managed)]
        )
    abstentions = [(s.name, s.abstentions) for s in content.signatories if s.abstentions]
    out: list[Flowable] = [
        PageBreak(),
        para("5. Conflicts of interest", S.h1),
        para(
            "Conflicts were checked by explicit rules, each recorded with its evidence. A person "
            "with an undecided or declared conflict was kept apart from the submission: they did "
            "not receive, see or score it. A soft conflict was cleared or managed only with a "
            "recorded rationale; a hard one was cleared only by two people."
        ),
        table(rows, (0.4, 0.1, 0.1, 0.14, 0.13, 0.13)),
        Spacer(1, 6),
        para(_withdrawn(content.withdrawn)),
        para("Education Assurance Group", S.h2),
    ]
    if abstentions:
        out.append(
            para(
                "Members were checked by the same rules when they signed, and a member who "
                "reviewed or moderated a submission counts as conflicted on it. Each abstained "
                "on the record:"
            )
        )
        out.append(
            table(
                [["Member", "Abstained on"]] + [[n, ", ".join(a)] for n, a in abstentions],
                (0.25, 0.75),
            )
        )
    else:
        out.append(para("No member of the Education Assurance Group who signed was conflicted."))
    return out


LISTED_HERE = 12
"""More abstentions than this are counted in the signatories' table and listed in section 5."""


def _abstained(refs: tuple[str, ...]) -> str:
    if len(refs) <= LISTED_HERE:
        return ", ".join(refs) or "none"
    return f"{len(refs)} submissions, listed in section 5"


def _withdrawn(count: int) -> str:
    if count == 0:
        return "No assignment had to be withdrawn because a conflict came to light afterwards."
    were = "assignment was" if count == 1 else "assignments were"
    return (
        f"{count} {were} withdrawn when a conflict came to light after assignment, and the "
        "submission reassigned."
    )


def _signatories(content: PackContent) -> list[Flowable]:
    d = content.decisions
    rows = [["Signatory", "Signed", "Certificate", "Abstained on"]]
    for s in content.signatories:
        who = markup(f"<b>{text(s.name)}</b><br/>{address(s.email)}", S.cell)
        cert = markup(
            f"serial {breakable(s.serial)}<br/>key {breakable(s.key_fingerprint[:32])}…", S.mono
        )
        rows.append([who, f"{s.signed_at:%-d %B %Y %H:%M} UTC", cert, _abstained(s.abstentions)])
    out: list[Flowable] = [
        CondPageBreak(200),
        para("6. Signatories", S.h1),
        para(
            f"The recommendations were signed off by {len(content.signatories)} members of the "
            f"Education Assurance Group (the quorum is {d.quorum}). Each signed the SHA-256 "
            "digest of the recommendation set below with their own key, certified by the "
            f"organisation's authority ({content.organisation}, key "
            f"{content.authority_fingerprint[:16]}…)."
        ),
        table(rows, (0.32, 0.2, 0.3, 0.18)),
    ]
    for s in content.signatories:
        if s.statement:
            out.append(para(f"Statement of {s.name}: {s.statement}", S.small))
    return out


def _audit(content: PackContent) -> list[Flowable]:
    d = content.decisions
    rows = [
        ("Recommendation set", markup(f"SHA-256 {breakable(d.digest)}", S.mono)),
        ("Audit trail", f"{content.audit_events} events, {content.audit_note}"),
        ("Head of the chain", markup(breakable(content.audit_head), S.mono)),
        ("Record made", f"{content.made_at:%-d %B %Y %H:%M} UTC"),
    ]
    return [
        CondPageBreak(200),
        para("7. Audit trail and verification", S.h1),
        para(
            "Every change in the round was recorded in an audit trail in which each event "
            "carries the hash of the one before it; the head of that chain when this record "
            "was made is given here, so any later rewriting of the trail shows."
        ),
        facts(rows),
        Spacer(1, 8),
        para(
            "To verify: open this PDF in a reader that trusts authority.pem, or run "
            "panel-desk verify on the decision pack, which checks every file's SHA-256 against "
            "the signed manifest, each signatory's signature over the recommendation set "
            "(recommendations.json, whose own SHA-256 is the digest above), the quorum, and the "
            "signatures in every PDF."
        ),
    ]


def decision_record_pdf(content: PackContent, progress: Progress = no_progress) -> bytes:
    """The decision record, unsigned (packs.py has each signatory sign it)."""
    total = len(content.records)
    story: list[Flowable] = [*_cover(content), *_round(content), *_criteria(content)]
    story += _summary(content)
    story += [PageBreak(), para("4. Decisions by submission", S.h1)]
    story.append(
        para(
            "One page (or more) per submission, in order of reference: the outcome, any "
            "conditions, the rationale, the moderated scores and what the reviewers said."
        )
    )
    for n, record in enumerate(content.records, start=1):
        if n % 50 == 1:
            progress(n - 1, total, f"Laying out the decision record: {record.decision.ref}")
        story += _submission(record, n, content)
    story += _conflicts(content) + _signatories(content) + _audit(content)
    progress(total, total, "Laying out the decision record")
    return build_pdf(
        story,
        _running(content),
        title=f"Decision record {content.decisions.round_ref}",
        cover=True,
        on_page=lambda page: progress(total, total, f"Laying out the decision record: page {page}"),
    )
