"""A round's ranking as JSON (`panel-desk rank --json`) and as CSV for the panel's papers.

The CSV holds one row per ranked submission, in official order, with the cut-line as a
row of its own where it falls, then the submissions not ranked and why; the tie-breaks
and the methods are written as comment lines at the top so the file explains itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from panel_desk.errors import BadInput
from panel_desk.services.ranking import RankedSubmission, Ranking
from panel_desk.services.ranking_cutline import CutLine
from panel_desk.services.ranking_methods import METHOD_LABELS, METHODS


def _side(above: bool | None) -> str | None:
    return None if above is None else ("above" if above else "below")


def cutline_text(line: CutLine, ranked: int) -> str:
    if line.places is None:
        return line.note or "no cut-line"
    basis = {"places": "the round's places", "budget": "the round's budget"}.get(line.basis, "")
    text = f"{line.places} of {ranked} above the line"
    if line.moved:
        official = f"{line.official}" if line.official is not None else "none"
        text += f", moved by {line.moved_by} from {official}: {line.rationale}"
    elif basis:
        text += f", from {basis}"
    return text


def _submission_json(r: RankedSubmission, criteria: tuple[tuple[str, str, float], ...]) -> dict:
    return {
        "position": r.position,
        "rank": r.rank,
        "tied": r.tied,
        "ref": r.ref,
        "title": r.title,
        "score": round(r.score, 6),
        "scores": {
            key: {"score": round(value, 6), "moderated": moderated}
            for (key, _label, _weight), value, moderated in zip(
                criteria, r.criterion_scores, r.moderated, strict=True
            )
        },
        "spread": round(r.spread, 6),
        "reviews": r.reviews,
        "support_requested": str(r.cost) if r.cost is not None else None,
        "side": _side(r.above),
        "methods": {
            method: {"position": position, "side": _side(above)}
            for method, position, above in zip(
                METHODS, r.method_positions, r.method_above, strict=True
            )
        },
        "changes_side": r.changes_side,
    }


def ranking_json(ranking: Ranking) -> dict[str, Any]:
    line = ranking.cutline
    return {
        "round": ranking.round_ref,
        "criteria": [{"key": k, "label": label, "weight": w} for k, label, w in ranking.criteria],
        "tie_breaks": list(ranking.tie_breaks),
        "cutline": {
            "places": line.places,
            "basis": line.basis or None,
            "official": line.official,
            "moved": line.moved,
            "rationale": line.rationale or None,
            "moved_by": line.moved_by or None,
            "budget": str(line.budget) if line.budget is not None else None,
            "note": line.note or None,
            "tie_at_line": ranking.tie_at_line,
        },
        "ranked": [_submission_json(r, ranking.criteria) for r in ranking.ranked],
        "not_ranked": [
            {"ref": n.ref, "title": n.title, "status": n.status, "reason": n.reason}
            for n in ranking.not_ranked
        ],
        "sensitivity": {
            "methods": {m: METHOD_LABELS[m] for m in METHODS},
            "above_under_every_method": ranking.robust.get("above", 0),
            "below_under_every_method": ranking.robust.get("below", 0),
            "change_side": [r.ref for r in ranking.changes_side],
        },
    }


def ranking_csv_text(ranking: Ranking) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"# Ranking of {ranking.round_ref}: {ranking.round_title}"])
    writer.writerow([f"# Cut-line: {cutline_text(ranking.cutline, len(ranking.ranked))}"])
    writer.writerow(["# Tie-breaks: " + "; then ".join(ranking.tie_breaks)])
    keys = [label for _k, label, _w in ranking.criteria]
    writer.writerow(
        [
            "position",
            "rank",
            "ref",
            "title",
            "weighted score",
            *(f"{label} (weight {w:g})" for (_k, label, w) in ranking.criteria),
            "spread",
            "reviews",
            "side",
            *(f"{METHOD_LABELS[m]} position" for m in METHODS),
            "changes side",
            "note",
        ]
    )
    line = ranking.cutline.places
    for r in ranking.ranked:
        if line is not None and r.position == line + 1:
            writer.writerow(["", "", "— cut-line —"])
        notes = []
        if r.tied:
            notes.append("tied after every tie-break")
        if any(r.moderated):
            moderated = [k for k, m in zip(keys, r.moderated, strict=True) if m]
            notes.append("moderated: " + "; ".join(moderated))
        writer.writerow(
            [
                r.position,
                f"={r.rank}" if r.tied else r.rank,
                r.ref,
                r.title,
                f"{r.score:.3f}",
                *(f"{v:.2f}" for v in r.criterion_scores),
                f"{r.spread:.2f}",
                r.reviews,
                _side(r.above) or "",
                *r.method_positions,
                "yes" if r.changes_side else "",
                "; ".join(notes),
            ]
        )
    if line is not None and line >= len(ranking.ranked):
        writer.writerow(["", "", "— cut-line —"])
    for n in ranking.not_ranked:
        writer.writerow(
            [
                "",
                "",
                n.ref,
                n.title,
                "",
                *([""] * len(keys)),
                "",
                "",
                n.status,
                "",
                "",
                "",
                "",
                n.reason,
            ]
        )
    return out.getvalue()


def write_ranking_csv(ranking: Ranking, path: Path) -> int:
    """Write the CSV (UTF-8 with a byte-order mark, so spreadsheet programs read it right)."""
    try:
        path.write_text(ranking_csv_text(ranking), encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise BadInput(str(path), f"cannot be written: {exc.strerror}") from None
    return len(ranking.ranked)
