"""The reviewer's app in a child process, typing into a review draft by itself.

Run as `python -m tests.crash.draft_child DB EMAIL ASSIGNMENT SETTINGS TEXT…`: opens the real
main window (offscreen) on a reviewer's database as that reviewer, opens the assignment
and types each TEXT in turn into the review's overall comment with key events, as a
person would. It prints `ready T s` (seconds since it started), after each TEXT `typed N T s`,
then `saved N` once the editor's autosave has written it; after the last it idles until
killed. The parent (test_kill_drafts.py) reads these lines to choose when to SIGKILL it.
"""

from __future__ import annotations

import os
import sys
import time

STARTED = time.monotonic()

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from panel_desk.services import roster  # noqa: E402
from panel_desk.services.database import open_database  # noqa: E402
from panel_desk.services.vocabulary import Role  # noqa: E402
from panel_desk.ui.main_window import MainWindow  # noqa: E402
from panel_desk.ui.workspace import Workspace  # noqa: E402

KEY_DELAY_MS = 1  # between key presses: typing that takes a little while, like a person's


def say(line: str) -> None:
    print(line, flush=True)


def main(path: str, email: str, assignment_id: int, settings: str, texts: list[str]) -> None:
    app = QApplication([])
    db = open_database(path)
    person = next(p for p in db.read(roster.list_people) if p.email == email)
    window = MainWindow(
        Workspace(db, person, Role.REVIEWER), QSettings(settings, QSettings.Format.IniFormat)
    )
    window.show()
    page = window.page("My reviews")
    window.tabs.setCurrentWidget(page)
    table = page.assignments
    table.select_row(table.model.row_of(assignment_id))
    editor = page.editor
    assert editor.form is not None and editor.form.assignment_id == assignment_id
    box = editor.recommendation.comment
    box.setFocus()
    say(f"ready {time.monotonic() - STARTED:.1f} s")
    step = [0]

    def type_next() -> None:
        n = step[0]
        if n == len(texts):
            return  # idle: the parent kills us
        QTest.keyClicks(box, texts[n], delay=KEY_DELAY_MS)
        say(f"typed {n + 1} {time.monotonic() - STARTED:.1f} s")
        QTimer.singleShot(10, wait_for_save)

    def wait_for_save() -> None:
        if editor._dirty or editor._timer.isActive():  # the autosave has yet to run
            QTimer.singleShot(10, wait_for_save)
            return
        step[0] += 1
        say(f"saved {step[0]}")
        QTimer.singleShot(0, type_next)

    QTimer.singleShot(0, type_next)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
