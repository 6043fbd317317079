"""The look of the documents a round publishes: fonts, styles, pages, tables (reportlab).

Shared by the decision record and the feedback letters so they read as one body's papers:
A4, an embedded Unicode font (DejaVu Sans where the system has it, else the Vera font that
ships with reportlab), a running header with the organisation and the document, a footer
with "Page n of N", and tables whose every cell is a wrapped Paragraph, whose header row
repeats on each page and whose rows may split across pages, so no text runs off a page.
Text from the database is always escaped before it meets reportlab's markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

INK = colors.HexColor("#1d2733")
ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#5f6b78")
RULE = colors.HexColor("#c5ced8")
HEAD_FILL = colors.HexColor("#e6edf4")
ZEBRA = colors.HexColor("#f6f8fa")
GOOD = colors.HexColor("#1b6e3a")
BAD = colors.HexColor("#9b2c1f")
LINE_FILL = colors.HexColor("#fbe9c6")

MARGIN = 20 * mm
WIDTH, HEIGHT = A4
TEXT_WIDTH = WIDTH - 2 * MARGIN

_FONT_FOLDERS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/Library/Fonts")
"""Where DejaVu Sans (wide Unicode coverage) usually is; reportlab's Vera is the fallback."""


def _register_fonts() -> tuple[str, str]:
    """(regular, bold) font names, registered once."""
    if "PanelDesk" in pdfmetrics.getRegisteredFontNames():
        return "PanelDesk", "PanelDesk-Bold"
    bundled = Path(reportlab.__file__).parent / "fonts"
    choices = [
        *((f"{d}/DejaVuSans.ttf", f"{d}/DejaVuSans-Bold.ttf") for d in _FONT_FOLDERS),
        (str(bundled / "Vera.ttf"), str(bundled / "VeraBd.ttf")),
    ]
    for regular, bold in choices:
        if Path(regular).is_file() and Path(bold).is_file():
            pdfmetrics.registerFont(TTFont("PanelDesk", regular))
            pdfmetrics.registerFont(TTFont("PanelDesk-Bold", bold))
            pdfmetrics.registerFontFamily(
                "PanelDesk",
                normal="PanelDesk",
                bold="PanelDesk-Bold",
                italic="PanelDesk",
                boldItalic="PanelDesk-Bold",
            )
            return "PanelDesk", "PanelDesk-Bold"
    return "Helvetica", "Helvetica-Bold"  # pragma: no cover - reportlab always ships Vera


FONT, BOLD = _register_fonts()


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    bullet: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    head: ParagraphStyle
    mono: ParagraphStyle
    right: ParagraphStyle


def _styles() -> Styles:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, textColor=INK)
    return Styles(
        title=ParagraphStyle(
            "title", parent=base, fontName=BOLD, fontSize=26, leading=32, textColor=ACCENT
        ),
        subtitle=ParagraphStyle("subtitle", parent=base, fontSize=14, leading=19),
        h1=ParagraphStyle(
            "h1",
            parent=base,
            fontName=BOLD,
            fontSize=16,
            leading=20,
            spaceBefore=6,
            spaceAfter=8,
            textColor=ACCENT,
        ),
        h2=ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=ACCENT,
        ),
        h3=ParagraphStyle(
            "h3",
            parent=base,
            fontName=BOLD,
            fontSize=10,
            leading=14,
            spaceBefore=6,
            spaceAfter=2,
        ),
        body=ParagraphStyle("para", parent=base, spaceAfter=6),
        small=ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=MUTED),
        bullet=ParagraphStyle(
            "bullet", parent=base, fontSize=9, leading=12, leftIndent=10, spaceAfter=2
        ),
        cell=ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        cell_bold=ParagraphStyle("cellb", parent=base, fontName=BOLD, fontSize=8.5, leading=11),
        head=ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8.5, leading=11),
        mono=ParagraphStyle("mono", parent=base, fontSize=7.5, leading=10, textColor=MUTED),
        right=ParagraphStyle("right", parent=base, fontSize=8.5, leading=11, alignment=TA_RIGHT),
    )


STYLES = _styles()


def text(value: object) -> str:
    """Database text made safe for reportlab's paragraph markup, line breaks kept."""
    return escape(str(value)).replace("\n", "<br/>")


class Para(Paragraph):
    """A Paragraph that breaks its lines once for a width, not at every wrap.

    reportlab wraps a table cell when it sizes the table, again for each part of a table
    split over pages, and again when it draws the cell: breaking the lines of every cell
    two or three times was half the time of drawing a decision record. The lines found for
    a width are kept while they are the paragraph's own (split() deletes them), so the
    result is the same as breaking them again, only once.
    """

    _wrapped: tuple[float, object, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        lines = self.__dict__.get("blPara")
        found = self._wrapped
        if found is not None and lines is not None and found[1] is lines and found[0] == availWidth:
            return found[2]
        size = super().wrap(availWidth, availHeight)
        lines = self.__dict__.get("blPara")
        self._wrapped = None if lines is None else (availWidth, lines, size)
        return size


def para(value: object, style: ParagraphStyle | None = None) -> Paragraph:
    return Para(text(value), style or STYLES.body)


def markup(value: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph whose markup we wrote ourselves (values inside already escaped)."""
    return Para(value, style or STYLES.body)


def breakable(value: str) -> str:
    """A long unbroken string (a hash, an e-mail) with places it may wrap."""
    return "\u200b".join(value[i : i + 8] for i in range(0, len(value), 8))


HEADINGS = ("h1", "h2", "h3")
ROOM_UNDER_HEADING = 3 * 14
"""A heading starts a new page unless this much (three lines of text) fits under it.
Not keepWithNext, which carries a long paragraph or table over whole and leaves a gap."""


def heading_over_table(value: str, style: ParagraphStyle | None = None) -> list[Flowable]:
    """A heading over a table that may run for pages: it starts a new page unless a few
    of the table's rows fit under it."""
    chosen = style or STYLES.h2
    return [CondPageBreak(chosen.leading + chosen.spaceBefore + 90), para(value, chosen)]


def _headings_kept(story: list[Flowable]) -> list[Flowable]:
    """The story with room asked for under every heading, so none ends a page."""
    out: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name in HEADINGS:
            _, tall = flowable.wrap(TEXT_WIDTH, HEIGHT)
            out.append(CondPageBreak(flowable.style.spaceBefore + tall + ROOM_UNDER_HEADING))
        out.append(flowable)
    return out


def address(value: str, fits: int = 28) -> str:
    """An e-mail address as markup, broken after its @ when it is long (reportlab breaks
    lines only at spaces, else mid-word: "northfells-hub.or / g.uk")."""
    local, at, domain = value.partition("@")
    if len(value) <= fits or not at:
        return text(value)
    return f"{text(local)}@<br/>{text(domain)}"


Cell = str | Flowable


def table(
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
    cell_style: ParagraphStyle | None = None,
) -> Table:
    """A table of wrapped cells; widths are fractions of the text width."""
    style = cell_style or STYLES.cell
    data = [
        [
            c if isinstance(c, Flowable) else para(c, STYLES.head if header and n == 0 else style)
            for c in row
        ]
        for n, row in enumerate(rows)
    ]
    made = Table(
        data,
        colWidths=[w * TEXT_WIDTH for w in widths],
        repeatRows=1 if header else 0,
        splitByRow=True,
        splitInRow=1,  # a row taller than a page (a long list in a cell) goes on over it
        hAlign="LEFT",
    )
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ]
    made.setStyle(TableStyle([*commands, *extra]))
    return made


def facts(pairs: Sequence[tuple[str, Cell]], label_width: float = 0.3) -> Table:
    """A two-column table of labels and values, with no header row."""
    rows = [[markup(f"<b>{text(k)}</b>", STYLES.cell), v] for k, v in pairs]
    return table(rows, (label_width, 1 - label_width), header=False)


# --- pages --------------------------------------------------------------------------------


class NumberedCanvas(Canvas):
    """Draws "Page n of N" once the total is known (the pages are held until save)."""

    def __init__(self, *args: Any, footer: Callable[[Canvas, int, int], None], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._pages: list[dict[str, Any]] = []
        self._footer = footer

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


@dataclass(frozen=True)
class Running:
    """What the header and footer say on every page but the cover."""

    organisation: str
    document: str  # "Decision record · GW-2025-02"
    reference: str  # a line in the footer, left: e.g. the digest in short


def build_pdf(
    story: list[Flowable],
    running: Running,
    *,
    title: str,
    cover: bool,
    on_page: Callable[[int], None] | None = None,
) -> bytes:
    """Lay out `story` on A4 with the running header and footer; the first page carries no
    header when `cover`. `on_page(n)` is called as page n is laid out (progress, cancel)."""
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN,
        title=title,
        author=running.organisation,
        subject=running.document,
        creator="panel_desk",
    )
    # No padding inside the frame: tables are TEXT_WIDTH wide, and the text lines up with
    # the running header (reportlab's default 6 pt padding pushed tables into the margin).
    frame = Frame(
        MARGIN,
        MARGIN,
        TEXT_WIDTH,
        HEIGHT - 2 * MARGIN - 6 * mm,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )

    def header(canvas: Canvas, _doc: object) -> None:
        if on_page is not None:
            on_page(canvas.getPageNumber())
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        y = HEIGHT - MARGIN + 2 * mm
        canvas.drawString(MARGIN, y, running.organisation)
        canvas.drawRightString(WIDTH - MARGIN, y, running.document)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, y - 2 * mm, WIDTH - MARGIN, y - 2 * mm)
        canvas.restoreState()

    templates = [PageTemplate("body", [frame], onPage=header)]
    if cover:
        templates.insert(0, PageTemplate("cover", [frame], autoNextPageTemplate="body"))
    document.addPageTemplates(templates)

    def footer(canvas: Canvas, number: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, MARGIN - 4 * mm, WIDTH - MARGIN, MARGIN - 4 * mm)
        canvas.drawString(MARGIN, MARGIN - 8 * mm, running.reference)
        canvas.drawRightString(WIDTH - MARGIN, MARGIN - 8 * mm, f"Page {number} of {total}")
        canvas.restoreState()

    document.build(
        _headings_kept(story), canvasmaker=lambda *a, **kw: NumberedCanvas(*a, footer=footer, **kw)
    )
    return buffer.getvalue()
