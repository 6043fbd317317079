"""The evaluation's charts, drawn once with reportlab graphics for the PDF report and the view.

Each chart is a reportlab `Drawing`: the report places it on the page, the Evaluation view
shows the same drawing as SVG (`chart_svgs`), so what a reader sees in the app and in
the report is one picture. Horizontal bars for named things (credentials, providers,
stages: long labels read across), vertical bars for years.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from panel_desk.services.evaluation import Evaluation, Figures
from panel_desk.services.pdf_layout import ACCENT, FONT, INK, MUTED, RULE

TAKE_UP = colors.HexColor("#1f4e79")
PROGRESSING = colors.HexColor("#4f8fc0")
COMPLETED = colors.HexColor("#9cc3e4")
SUCCESS = colors.HexColor("#1b6e3a")
FAILURE = colors.HexColor("#c0504d")
WIDTH = 460.0
LABEL_CHARS = 40


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    caption: str
    drawing: Drawing | None  # None: nothing to draw yet (the caption says why)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _legend(drawing: Drawing, items: Sequence[tuple[colors.Color, str]], y: float) -> None:
    legend = Legend()
    legend.x, legend.y = 0, y
    legend.fontName, legend.fontSize = FONT, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 110
    legend.dx = legend.dy = 8
    legend.colorNamePairs = list(items)
    legend.strokeColor = None
    drawing.add(legend)


def _horizontal(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], colors.Color]],
    value_label: str,
) -> Drawing:
    """Grouped horizontal bars, one group per label; the legend above, the scale below."""
    bar = 9 if len(series) > 1 else 14
    group = bar * len(series) + 10
    plot_height = max(40, group * len(labels))
    height = plot_height + 60
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 215, 30
    chart.width, chart.height = WIDTH - chart.x - 20, plot_height
    # A group's first series is drawn lowest: reversed, the legend's first bar is on top.
    drawn = list(reversed(series))
    chart.data = [list(reversed(values)) for _, values, _ in drawn]
    for n, (_, _, colour) in enumerate(drawn):
        chart.bars[n].fillColor = colour
        chart.bars[n].strokeColor = None
    chart.barWidth = bar
    chart.groupSpacing = 10
    chart.barSpacing = 1
    chart.categoryAxis.categoryNames = [_short(label) for label in reversed(labels)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.strokeColor = RULE
    chart.valueAxis.valueMin = 0
    top = max([max(values, default=0) for _, values, _ in series] or [0])
    chart.valueAxis.valueMax = max(1, top * 1.1)
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    drawing.add(String(chart.x, 8, value_label, fontName=FONT, fontSize=8, fillColor=MUTED))
    if len(series) > 1:
        _legend(drawing, [(colour, name) for name, _, colour in series], height - 8)
    return drawing


def _vertical(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], colors.Color]]
) -> Drawing:
    height = 190
    drawing = Drawing(WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 28
    chart.width, chart.height = WIDTH - 60, height - 60
    chart.data = [list(values) for _, values, _ in series]
    for n, (_, _, colour) in enumerate(series):
        chart.bars[n].fillColor = colour
        chart.bars[n].strokeColor = None
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.strokeColor = RULE
    chart.valueAxis.valueMin = 0
    top = max([max(values, default=0) for _, values, _ in series] or [0])
    chart.valueAxis.valueMax = max(1, top * 1.15)
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.strokeColor = RULE
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    chart.groupSpacing = 18
    drawing.add(chart)
    _legend(drawing, [(colour, name) for name, _, colour in series], height - 8)
    return drawing


def _figures(found: Sequence[Figures]) -> list[tuple[str, Sequence[float], colors.Color]]:
    return [
        ("Take-up", [f.take_up for f in found], TAKE_UP),
        ("Progressing", [f.progressing for f in found], PROGRESSING),
        ("Completed", [f.completed for f in found], COMPLETED),
    ]


NO_RETURNS = "No annual returns yet: providers' take-up and progression appear once imported."


def charts(evaluation: Evaluation) -> list[Chart]:
    e = evaluation
    made = []
    for key, title, found in (
        ("credential", "Take-up and progression by credential", e.by_credential),
        ("provider", "Take-up and progression by provider", e.by_provider),
    ):
        caption = (
            "From providers' annual returns, all reporting years together. "
            + "; ".join(f"{f.label}: {f.progression_rate:.0%} progressing" for f in found)
            if found
            else NO_RETURNS
        )
        drawing = (
            _horizontal([f.label for f in found], _figures(found), "learners") if found else None
        )
        made.append(Chart(key, title, caption, drawing))
    made.append(
        Chart(
            "year",
            "Take-up and progression by reporting year",
            "Academic years (1 August to 31 July), every credential and provider."
            if e.by_year
            else NO_RETURNS,
            _vertical([f.label for f in e.by_year], _figures(e.by_year)) if e.by_year else None,
        )
    )
    times = e.time_to_endorsement
    made.append(
        Chart(
            "endorsement",
            "Time from proposal to endorsement",
            (
                "Days from the opening of the call a proposal answered to its credential's "
                "endorsement being signed off. "
                + "; ".join(f"{t.credential}: {t.days} days" for t in times)
            )
            if times
            else "No endorsed credential is linked to its proposal yet.",
            _horizontal(
                [t.credential for t in times],
                [("Days", [t.days for t in times], ACCENT)],
                "days from the call opening to endorsement",
            )
            if times
            else None,
        )
    )
    stages = [s for s in e.outcomes if s.successful or s.unsuccessful]
    made.append(
        Chart(
            "outcomes",
            "Outcomes by stage",
            (
                "Signed-off decisions at each stage. "
                + "; ".join(
                    f"{s.stage}: " + ", ".join(f"{n} {o}" for o, n in s.outcomes) for s in stages
                )
            )
            if stages
            else "No decision is signed off yet.",
            _horizontal(
                [s.stage for s in stages],
                [
                    ("Successful", [s.successful for s in stages], SUCCESS),
                    ("Not successful", [s.unsuccessful for s in stages], FAILURE),
                ],
                "signed-off decisions",
            )
            if stages
            else None,
        )
    )
    return made


def svg(drawing: Drawing) -> bytes:
    """The drawing as SVG without reportlab's clip path, which Qt's SVG renderer (SVG Tiny)
    does not know and would paint as a black rectangle over the chart."""
    text = renderSVG.drawToString(drawing)
    text = re.sub(r"<clipPath.*?</clipPath>", "", text, flags=re.DOTALL)
    return text.replace(' style="clip-path: url(#clip)"', "").encode("utf-8")


def chart_svgs(evaluation: Evaluation) -> list[tuple[str, str, bytes | None]]:
    """(title, caption, SVG bytes or None) for each chart, for the Evaluation view."""
    return [(c.title, c.caption, svg(c.drawing) if c.drawing else None) for c in charts(evaluation)]
