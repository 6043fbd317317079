"""Fingerprints of a database's whole content, to prove that bad input changed nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def fingerprint(path: Path) -> str:
    """A digest of every row of every table, and of the document store's file list."""
    connection = sqlite3.connect(path)
    try:
        dump = "\n".join(connection.iterdump())
    finally:
        connection.close()
    blobs = path.with_name(path.name + ".blobs")
    files = sorted(str(p.relative_to(blobs)) for p in blobs.rglob("*")) if blobs.exists() else []
    return hashlib.sha256((dump + "\n".join(files)).encode()).hexdigest()
