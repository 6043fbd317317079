"""The app killed while its worker processes are up (the returns reader here; the pack's
letter drawer starts the same way, services/quiet_start.py): the workers end too, rather
than wait for ever on a queue no one will write to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

APP = """
import sys, tempfile, time
from pathlib import Path
from panel_desk.services.exchange.return_reading import ReadingAhead

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder, ReadingAhead([], Path(folder)) as ahead:
        while len(ahead._pool._processes) < 2:
            time.sleep(0.05)
        time.sleep(1)  # both started and idle, waiting for work
        print(*ahead._pool._processes, flush=True)
        time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's first process may never reap one)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_the_workers_end_when_the_app_is_killed(tmp_path: Path):
    script = tmp_path / "app.py"
    script.write_text(APP)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    ) as app:
        assert app.stdout is not None
        workers = [int(pid) for pid in app.stdout.readline().split()]
        assert len(workers) == 2 and all(_running(pid) for pid in workers)
        app.kill()
        app.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in workers)
