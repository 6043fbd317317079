"""Feedback letters: one PDF per submission, successful or not, with the feedback the
process asks for and the reviewers anonymised.

"Feedback is provided on unsuccessful proposals … advice on how the proposal may benefit
from a review of its scope and focus … the appropriateness of the proposal being
resubmitted at a future point (e.g. if it narrowly missed being selected …)." So a letter
gives the outcome as signed off, any conditions, the panel's feedback, where the proposal
might be strengthened (the criteria it scored lowest on, with what reviewers said of
them), whether resubmission is appropriate (from where it stood: narrowly below the
cut-line, short of a gateway criterion, held back at screening), every reviewer's overall
comment as "Reviewer n", and how to appeal on grounds of procedural irregularity.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, KeepTogether, Spacer

from panel_desk.services.decision_record import ordinal, outcome_markup
from panel_desk.services.decision_set import Decision
from panel_desk.services.pack_content import PackContent, SubmissionRecord
from panel_desk.services.pdf_layout import STYLES, Running, build_pdf, facts, markup, para, text
from panel_desk.store.models import Stage

S = STYLES
NARROW_SCORE = 0.25
"""A proposal this close (weighted score) to the last one above the cut-line narrowly missed."""

WHAT = {
    Stage.GATEWAY: "credential proposal",
    Stage.ENDORSEMENT: "credential specification",
    Stage.PROVIDER_APPROVAL: "application for approval to deliver a credential",
    Stage.PERIODIC_REVIEW: "annual report and periodic review submission",
}
NEXT = {
    Stage.GATEWAY: (
        "The Centre will be in touch to agree the support to be made available for developing "
        "the full credential specification, the timeframe for that support, and when the "
        "specification is expected to be submitted for consideration for endorsement."
    ),
    Stage.ENDORSEMENT: (
        "The credential will be launched for delivery and listed on the Centre's directory of "
        "education provision as soon as possible."
    ),
    Stage.PROVIDER_APPROVAL: (
        "Your organisation will be listed on the Centre's directory of education providers for "
        "the credential, and will take part in the Centre's quality assurance and enhancement "
        "arrangements, including annual reporting."
    ),
    Stage.PERIODIC_REVIEW: "Your endorsement or approval continues for the next period.",
}


def _weakest(record: SubmissionRecord, content: PackContent) -> list[tuple[str, str, list[str]]]:
    """The criteria the submission did least well on: (label, value, reviewers' comments)."""
    spec = content.decisions.spec
    scored = []
    for s in record.decision.scores:
        scale = spec.criterion(s.key).scale
        if not s.value:
            continue
        if scale.numeric:
            try:
                points = float(s.value)
            except ValueError:
                continue
            if points < 3.5:
                scored.append((points / (scale.max or 5), s.key, s.value))
        elif s.value not in scale.passing:
            scored.append((0.0, s.key, s.value))
        elif scale.options and s.value != scale.options[0]:  # met, but with conditions
            scored.append((0.5, s.key, s.value))
    scored.sort()
    labels = {c.key: c.label for c in content.decisions.criteria}
    out = []
    for _, key, value in scored[:3]:
        said = [
            f"{r.label}: {c.comment}"
            for r in record.reviews
            for c in r.criteria
            if c.key == key and c.comment
        ]
        out.append((labels.get(key, key), value, said))
    return out


def _resubmission(d: Decision, content: PackContent) -> str:
    stage = Stage(content.decisions.stage)
    if d.place is not None and d.place.position is not None and d.place.above is False:
        line = (content.decisions.cutline or {}).get("places") or 0
        above = [
            x.place.score
            for x in content.decisions.decisions
            if x.place and x.place.position == line
        ]
        gap = float(above[0]) - float(d.place.score) if above and d.place.score else 99.0
        if d.place.position - line <= max(1, line // 2) or gap <= NARROW_SCORE:
            return (
                f"Your proposal narrowly missed selection: it ranked {ordinal(d.place.position)}, "
                f"with {line} places supported in this call. In the context of the other "
                "proposals and the competitive process, the panel considers that resubmission at "
                "a future call would be appropriate."
            )
        return (
            "Resubmission at a future call may be appropriate if the proposal is strengthened "
            "as above. You may also wish to consider how the expertise of the development "
            "group might be deployed in other ways, for example by feeding into the "
            "development of another credential specification."
        )
    if d.place is not None and d.place.position is None:
        return (
            "A proposal must meet every gateway criterion to be ranked. Resubmission at a "
            f"future call would be appropriate once it does ({d.place.reason})."
        )
    if stage == Stage.GATEWAY:
        return (
            "Resubmission at a future call may be appropriate once the points above are addressed."
        )
    return (
        "You may resubmit a revised submission to a future round once the points above have "
        "been addressed; the secretariat can advise on timing."
    )


def _body(record: SubmissionRecord, content: PackContent) -> list[Flowable]:
    d = record.decision
    stage = Stage(content.decisions.stage)
    what = WHAT.get(stage, "submission")
    out: list[Flowable] = []
    if not d.considered:
        gaps = "; ".join(record.gaps) or "required information was missing"
        out += [
            para(
                f"Your {what} could not be considered at this stage. Screening found "
                f"information gaps, which were returned to you and not resolved before the "
                f"round closed: {gaps}."
            ),
            para(
                "You are welcome to resubmit with the missing information to a future round; "
                "the secretariat can advise on what is needed."
            ),
        ]
        return out
    signed = content.signed_off_on.strftime("%-d %B %Y")
    if d.successful:
        out.append(
            markup(
                f"I am pleased to tell you that on {signed} the Centre's Education Assurance "
                f"Group signed off the panel's recommendation on your {what}: "
                f"{outcome_markup(d)}."
            )
        )
    else:
        out.append(
            markup(
                f"Thank you for your {what}. I am sorry to tell you that on {signed} the "
                "Centre's Education Assurance Group signed off the panel's recommendation: "
                f"{outcome_markup(d)}."
            )
        )
        if stage == Stage.GATEWAY:
            out.append(
                para(
                    "A proposal not being selected for supported development does not mean "
                    "that it is not deemed a valid area for advanced practice workforce "
                    "development: the process is competitive and the support available is "
                    "limited."
                )
            )
    if d.place is not None and d.place.position is not None:
        ranked = sum(1 for x in content.decisions.decisions if x.place and x.place.position)
        out.append(
            para(
                f"Your proposal ranked {ordinal(d.place.position)} of {ranked} proposals that "
                f"met every gateway criterion, with a weighted moderated score of {d.place.score}."
            )
        )
    if d.conditions:
        out += [para("Conditions", S.h2), para(d.conditions)]
    if d.successful:
        then = NEXT.get(stage, "")
        if d.conditions and then:
            then = f"When the conditions have been met, {then[0].lower()}{then[1:]}"
        out.append(para(then))
    if d.feedback:
        out += [para("The panel's feedback", S.h2), para(d.feedback)]
    weakest = _weakest(record, content)
    if weakest and (not d.successful or d.conditions):
        out.append(para("How the submission might be strengthened", S.h2))
        for label, value, said in weakest:
            out.append(markup(f"<b>{text(label)}</b> (moderated score: {text(value)})", S.h3))
            for line in said:
                out.append(para(f"• {line}", S.bullet))
    if not d.successful:
        out += [para("Resubmission", S.h2), para(_resubmission(d, content))]
    if record.reviews:
        out.append(para("What the reviewers said", S.h2))
        for review in record.reviews:
            if review.comment:
                out.append(para(f"{review.label}: {review.comment}"))
    return out


def letter_pdf(content: PackContent, record: SubmissionRecord, signed_by: str) -> bytes:
    """The feedback letter for one submission, unsigned: packs.py has `signed_by` (the
    e-mail of a signatory who did not abstain on it) sign it."""
    d = record.decision
    decisions = content.decisions
    reference = f"{decisions.round_ref}/{d.ref}"
    named = record.lead_representative.split(",")[0].strip()
    addressee = record.lead_representative or "The lead representative"
    if d.lead.casefold() not in addressee.casefold():
        addressee = f"{addressee}, {d.lead}"
    names = ", ".join(s.name for s in content.signatories)
    signer = next((s.name for s in content.signatories if s.email == signed_by), signed_by)
    anonymised = (
        " The reviewers of your submission are not named; their comments are given as "
        "Reviewer 1, Reviewer 2 and so on."
        if record.reviews
        else ""
    )
    story: list[Flowable] = [
        para(content.organisation, S.title),
        para("Credential approval and assurance", S.small),
        Spacer(1, 16),
        facts(
            [
                ("To", addressee),
                ("Our reference", reference),
                ("Date", content.made_at.strftime("%-d %B %Y")),
            ],
            0.22,
        ),
        Spacer(1, 12),
        para(f"{decisions.round_title}: {d.ref} — {d.title}", S.h1),
        para(f"Dear {named or 'colleague'},"),
        *_body(record, content),
        para("Complaints and appeals", S.h2),
        para(
            "If you reasonably believe that your submission was subject to a procedural "
            "irregularity, you may make a complaint or appeal to the Centre, quoting the "
            f"reference {reference}. An appeal is considered against the record of how your "
            "submission was handled, and, if upheld, the decision is reopened."
        ),
        Spacer(1, 10),
        KeepTogether(  # the closing never splits from its signature line
            [
                para("Yours sincerely,"),
                para(f"The Secretariat, {content.organisation}"),
                Spacer(1, 8),
                para(
                    f"Signed off by the Education Assurance Group ({names}). This letter "
                    f"carries the digital signature of {signer} on their behalf, certified by "
                    f"{content.organisation}.{anonymised} Recommendation set SHA-256 "
                    f"{decisions.digest}.",
                    S.small,
                ),
            ]
        ),
    ]
    running = Running(content.organisation, f"Feedback letter · {reference}", reference)
    return build_pdf(story, running, title=f"Feedback letter {reference}", cover=True)
