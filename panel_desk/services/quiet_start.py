"""Starting a worker process that yields the processor to the app it works for.

A spawned worker imports what its work needs (for a return reader, SQLAlchemy, the
cryptography and the exchange: ~0.4 s of CPU) while the app is busy itself, on a machine
that may have only two cores. Lowering the worker's priority only once that import is done
would leave the import competing with the app at full priority: so the initializer named
to the process pool is this module's, which imports nothing of weight, lowers the priority,
and only then imports and calls the real one.
"""

from __future__ import annotations

import contextlib
import importlib
import os


def start_quietly(nicer: int, initializer: str, *args: object) -> None:
    """Lower this process's priority by `nicer`, then call `initializer` ("module:name")."""
    with contextlib.suppress(OSError, AttributeError):  # os.nice: not on Windows
        os.nice(nicer)
    module, name = initializer.split(":")
    getattr(importlib.import_module(module), name)(*args)
