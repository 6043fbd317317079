"""Content-addressed storage for submission documents.

Files are kept once per SHA-256 beside the database (`NAME.blobs/ab/abcdef…`), written to a
temporary name and renamed into place, so a crash never leaves a half-written document
under a real name, and importing the same file twice stores it once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def relative_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path(self, relative: str) -> Path:
        return self.root / relative

    def put(self, data: bytes) -> tuple[str, str]:
        """Store `data`; return its SHA-256 and its path relative to the store."""
        sha = self.digest(data)
        return sha, self._write(sha, len(data), [data])

    def put_file(self, source: Path, sha256: str) -> str:
        """Store a file already hashed as `sha256`; return its path relative to the store."""
        size = source.stat().st_size

        def chunks() -> Iterator[bytes]:
            with source.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    yield chunk

        return self._write(sha256, size, chunks())

    def _write(self, sha: str, size: int, chunks: Iterable[bytes]) -> str:
        relative = self.relative_path(sha)
        target = self.root / relative
        if target.exists() and target.stat().st_size == size:
            return relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return relative

    @staticmethod
    def file_digest(path: Path) -> str:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()

    def read(self, relative: str) -> bytes:
        return (self.root / relative).read_bytes()
