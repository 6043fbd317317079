"""The evaluation report: a PDF with the evaluation's charts, for the Centre's readers.

A cover with the headline figures, then each chart with a sentence on how it is counted
and the figures in words (a reader who cannot see a chart still has them), and a table of
the annual returns behind the take-up charts. Laid out like the decision packs
(pdf_layout.py); written beside the target and renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer
from sqlalchemy.orm import Session

from panel_desk.errors import BadInput
from panel_desk.services import annual_returns, audit, pdf_layout
from panel_desk.services.evaluation import Evaluation, evaluate
from panel_desk.services.evaluation_charts import charts

ORGANISATION = "Centre for Advancing Practice"
TITLE = "Evaluation of endorsed credentials"


def report_pdf(evaluation: Evaluation, returns: list[annual_returns.ReturnView]) -> bytes:
    s = pdf_layout.STYLES
    e = evaluation
    story: list[Flowable] = [
        pdf_layout.para(TITLE, s.title),
        pdf_layout.para(f"{ORGANISATION} · as at {e.as_of:%-d %B %Y}", s.subtitle),
        Spacer(1, 10),
        pdf_layout.para(
            "The value and impact of credentials, from what the approval and assurance "
            "process keeps: signed-off decisions, the registers they make, practitioners' "
            "annotated completions and providers' annual returns.",
            s.body,
        ),
        pdf_layout.facts(
            [
                ("Credentials endorsed (in force)", str(e.credentials)),
                ("Provider approvals (in force)", str(e.approvals)),
                ("Completions annotated", str(e.annotations)),
                ("Annual returns received", str(len(returns))),
            ],
            0.45,
        ),
        Spacer(1, 12),
    ]
    for chart in charts(e):
        block: list[Flowable] = [pdf_layout.para(chart.title, s.h2)]
        if chart.drawing is not None:
            block.append(chart.drawing)
        block.append(pdf_layout.para(chart.caption, s.small))
        story += [CondPageBreak(120), KeepTogether(block), Spacer(1, 12)]
    if returns:
        story += [CondPageBreak(140), pdf_layout.para("Annual returns", s.h2)]
        rows = [["Credential", "Provider", "Year", "Take-up", "Progressing", "Completed"]]
        rows += [
            [
                r.credential,
                r.provider,
                r.year_label,
                str(r.take_up),
                str(r.progressing),
                str(r.completed),
            ]
            for r in returns
        ]
        story.append(pdf_layout.table(rows, (0.34, 0.24, 0.1, 0.1, 0.12, 0.1)))
    running = pdf_layout.Running(ORGANISATION, f"{TITLE} · {e.as_of:%-d %b %Y}", "panel_desk")
    return pdf_layout.build_pdf(story, running, title=TITLE, cover=False)


def export_report(session: Session, out: Path, actor: str) -> Path:
    """Write the evaluation report PDF to `out`."""
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise BadInput(str(out), "the evaluation report is a PDF: name it .pdf")
    if not out.parent.is_dir():
        raise BadInput(str(out), f"its folder {out.parent} does not exist")
    evaluation = evaluate(session)
    data = report_pdf(evaluation, annual_returns.returns(session))
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, out)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise BadInput(str(out), f"cannot be written ({exc.strerror})") from None
    audit.record(
        session,
        actor,
        "evaluation.reported",
        "evaluation",
        out.name,
        {"as_of": str(evaluation.as_of)},
    )
    return out
