"""Starting a worker process that yields the processor to the app it works for, and goes
when the app goes.

A spawned worker imports what its work needs (for a return reader, SQLAlchemy, the
cryptography and the exchange: ~0.4 s of CPU) while the app is busy itself, on a machine
that may have only two cores. Lowering the worker's priority only once that import is done
would leave the import competing with the app at full priority: so the initializer named
to the process pool is this module's, which imports nothing of weight, lowers the priority,
and only then imports and calls the real one.

A pool's idle worker waits on a queue whose other end it holds itself, so it would wait
for ever if the app were killed (a crash, the system out of memory): a thread here ends
the worker as soon as its parent is gone.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time

PARENT_CHECK = 0.5
"""Seconds between looks at whether the app is still there."""


def start_quietly(nicer: int, initializer: str, *args: object) -> None:
    """Lower this process's priority by `nicer`, see that it ends with its parent, then
    call `initializer` ("module:name") with `args`."""
    parent = os.getppid()
    threading.Thread(
        target=_end_with, args=(parent,), name="panel-desk-parent-watch", daemon=True
    ).start()
    if nicer:
        with contextlib.suppress(OSError, AttributeError):  # os.nice: not on Windows
            os.nice(nicer)
    module, name = initializer.split(":")
    getattr(importlib.import_module(module), name)(*args)


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(1)  # the parent is gone: nothing of the work is wanted any more
