"""The Qt side of `panel-desk bench`: run as its own process by services/bench_gui.py.

`python -m panel_desk.ui.bench_probe --db PATH --runs N [--round REF]` starts the app as
`panel-desk --db PATH` does (the same imports, the same main window, on REF as if it was
the round last open), prints
`shown` once the window is on screen (the parent times the cold start up to that line),
then times the submissions table as someone uses it, each run from a fresh load:

  load    the round's rows read and shown (Submissions page, first row chosen)
  sort    sorting by title, by clicking the column's header
  filter  typing a word into the filter

and prints one JSON line with the times and the process's peak memory. Settings go to a
scratch file, so the user's remembered layout is neither read nor changed.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

SHOWN = "shown"
TITLE = 1
"""The column sorted by: text, so every comparison is a string's."""


def _elapsed(work, app) -> float:
    started = time.perf_counter()
    work()
    app.processEvents()  # what the table paints is part of the wait
    return time.perf_counter() - started


def _peak_mb() -> float:
    """This process's peak resident size. Linux's VmHWM, not getrusage's ru_maxrss: that
    one keeps, across exec, the size of the process that started this one (here the
    benchmark, holding a whole round's import)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m panel_desk.ui.bench_probe")
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--round", help="the round the window opens on (default: as the app)")
    args = parser.parse_args(argv)
    gc.disable()  # as `panel-desk` starts (cli/gui_launch.py), until settle_after_start

    from PySide6.QtCore import QSettings, Qt

    import panel_desk.cli.gui_launch  # noqa: F401  (what `panel-desk` imports before the GUI)
    from panel_desk.services.database import open_database
    from panel_desk.ui.app import _application, choose_workspace, settle_after_start
    from panel_desk.ui.main_window import SETTINGS_ROUND, MainWindow

    app = _application()
    database = open_database(args.db)
    workspace = choose_workspace(database, None, interactive=False)
    scratch = tempfile.TemporaryDirectory(prefix="panel-desk-bench-")
    settings = QSettings(str(Path(scratch.name) / "settings.ini"), QSettings.Format.IniFormat)
    if args.round:
        settings.setValue(SETTINGS_ROUND, args.round)  # as if it was the last one open
    window = MainWindow(workspace, settings)
    window.show()
    app.processEvents()
    print(SHOWN, flush=True)
    settle_after_start()  # as run_gui does once the window is up

    page = window.submissions_page
    view = page.submissions
    summary = page.summary
    if summary is None:
        print(json.dumps({"error": "the database has no round"}), flush=True)
        return 1
    rows = view.model.rowCount()
    # The longest word of a title mid-table: what someone looking for it would type.
    word = max(view.model.row_at(rows // 2).title.split(), key=len) if rows else "x"
    times: dict[str, list[float]] = {"load": [], "sort": [], "filter": []}
    for run in range(args.runs):
        view.filter.clear()  # back to the round as first opened
        view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        app.processEvents()
        times["load"].append(_elapsed(lambda: page.show_round(summary), app))
        order = Qt.SortOrder.AscendingOrder if run % 2 == 0 else Qt.SortOrder.DescendingOrder
        times["sort"].append(_elapsed(lambda o=order: view.table.sortByColumn(TITLE, o), app))
        times["filter"].append(_elapsed(lambda: view.filter.setText(word), app))
    result = {
        **times,
        "rows": rows,
        "filtered_rows": view.model.rowCount(),
        "filter_word": word,
        "peak_mb": round(_peak_mb(), 1),
    }
    print(json.dumps(result), flush=True)
    window.hide()
    database.close()
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
