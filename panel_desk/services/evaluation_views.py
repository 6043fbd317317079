"""The Evaluation view's content: the evaluation's charts as SVG with their captions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from panel_desk.services.evaluation import evaluate
from panel_desk.services.evaluation_charts import chart_svgs


@dataclass(frozen=True)
class EvaluationView:
    headline: str
    charts: tuple[tuple[str, str, bytes | None], ...]  # (title, caption, SVG or None)


def evaluation_view(session: Session) -> EvaluationView:
    e = evaluate(session)
    headline = (
        f"As at {e.as_of:%-d %B %Y}: {e.credentials} credential(s) endorsed, {e.approvals} "
        f"provider approval(s), {e.annotations} completion(s) annotated."
    )
    return EvaluationView(headline, tuple(chart_svgs(e)))
