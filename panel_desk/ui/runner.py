"""Long work off the GUI thread, with a progress dialog and a working Cancel button.

`run_in_background` starts a service function on a worker thread, shows progress, and
waits in a local event loop so the window stays alive; it then returns the function's
result or raises its exception in the GUI thread. Cancel makes the next progress call
raise `Cancelled` inside the worker, so the service's transaction rolls back whole.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from panel_desk.errors import Cancelled

T = TypeVar("T")


class _Worker(QObject):
    progressed = Signal(int, int, str)
    done = Signal()

    def __init__(self, work: Callable[[Callable[[int, int, str], None]], Any]) -> None:
        super().__init__()
        self._work = work
        self.cancel_requested = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def _progress(self, done: int, total: int, text: str) -> None:
        if self.cancel_requested.is_set():
            raise Cancelled()
        self.progressed.emit(done, total, text)

    def run(self) -> None:
        try:
            self.result = self._work(self._progress)
        except BaseException as exc:  # handed to the GUI thread, which re-raises it
            self.error = exc
        finally:
            self.done.emit()


class _ProgressShower(QObject):
    """Lives in the GUI thread, so the worker's signals reach the dialog queued, never
    touching a widget from the worker thread."""

    def __init__(self, dialog: QProgressDialog) -> None:
        super().__init__()
        self.dialog = dialog

    @Slot(int, int, str)
    def show(self, done: int, total: int, text: str) -> None:
        self.dialog.setMaximum(max(total, 1))
        self.dialog.setValue(min(done, max(total, 1)))
        self.dialog.setLabelText(text)


def run_in_background(
    parent: QWidget | None,
    title: str,
    work: Callable[[Callable[[int, int, str], None]], T],
    minimum_duration_ms: int = 300,
) -> T:
    """Run `work(progress)` on a worker thread; return its result or raise its error."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setObjectName("progressDialog")
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(minimum_duration_ms)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)

    worker = _Worker(work)
    thread = QThread()
    worker.moveToThread(thread)
    loop = QEventLoop()

    shower = _ProgressShower(dialog)

    def cancel() -> None:
        worker.cancel_requested.set()
        dialog.setLabelText("Cancelling — undoing what was started…")

    # Queued, explicitly: the dialog is only ever touched from the GUI thread, whatever
    # the slot (a test's wrapper loses @Slot and with it PySide's choice of thread).
    worker.progressed.connect(shower.show, Qt.ConnectionType.QueuedConnection)
    worker.done.connect(loop.quit)
    dialog.canceled.connect(cancel)
    thread.started.connect(worker.run)
    # No automatic garbage collection while the worker runs: a full collection of a big
    # round's heap holds the GIL for 100–300 ms, and the window stalls that long. It
    # resumes when the work ends, as it would have without the worker.
    collecting = gc.isenabled()
    gc.disable()
    try:
        thread.start()
        loop.exec()
        thread.quit()
        thread.wait()
    finally:
        if collecting:
            gc.enable()
    dialog.close()
    dialog.deleteLater()
    if worker.error is not None:
        raise worker.error
    return worker.result


class OneAtATime:
    """A page's background reads, one at a time.

    While a read runs, the runner's local event loop still delivers clicks and tab changes
    (the progress dialog blocks input only once it shows), so a page can be asked to read
    again before the first read ends. The second request waits, and the page reads once
    more, with its state as it is then, when the first is done.
    """

    def __init__(self) -> None:
        self.busy = False
        self._again: Callable[[], None] | None = None

    def __call__(self, load: Callable[[], None]) -> None:
        if self.busy:
            self._again = load
            return
        self.busy = True
        try:
            load()
            while self._again is not None:
                again, self._again = self._again, None
                again()
        finally:
            self.busy = False
