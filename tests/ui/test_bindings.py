"""The Qt bindings themselves: a defect there brings the whole app down, so guard against it.

PySide6 6.12.0 returns None from every void method without taking a reference to it; on
Python 3.11 (where None is not immortal) a few thousand `setText` calls end the process
with "Fatal Python error: none_dealloc". pyproject.toml keeps PySide6 below 6.12 for that
reason; this test fails (in a child process, so the suite survives) if a release with the
defect is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for _ in range(20_000):
    label.setText("x")
print(sys.getrefcount(None) - before)
"""


def test_void_calls_keep_nones_reference_count():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert abs(int(result.stdout.strip())) < 100
