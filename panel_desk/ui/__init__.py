"""The Qt user interface.

PySide6 6.12's bindings hand back None from every void method without taking a reference
to it: harmless from Python 3.12, where None is immortal, but on Python 3.11 each call
(a `setText`, a `QPainter.drawLine`) costs None one reference, and a long session or a
few thousand repaints of a painted table end in "Fatal Python error: none_dealloc". Until
the bindings take their reference, None gets a count no session can spend.
"""

import sys

if sys.version_info < (3, 12):  # pragma: no branch - None is immortal from 3.12
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
