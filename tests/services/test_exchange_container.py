"""The signed zip container: what it writes, and every way a hostile file is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from panel_desk.errors import BadInput
from panel_desk.services.exchange import container

KEY = b"test key"


def sign(data: bytes) -> bytes:
    return hmac.new(KEY, data, hashlib.sha256).digest()


def verify(data: bytes, signature: bytes, manifest: Mapping[str, Any]) -> None:
    if not hmac.compare_digest(sign(data), signature):
        raise BadInput("packet", "its signature does not hold")


MEMBERS = {"submissions.json": b'{"a": 1}', "documents/GW-01-proposal.pdf": b"%PDF-1.4 demo"}


def write(path: Path, members: Mapping[str, bytes] = MEMBERS) -> Path:
    container.write_container(path, "packet", 1, {"round": "GW-2026-01"}, members, sign)
    return path


def open_(path: Path) -> container.Opened:
    return container.open_container(path, "packet", (1,), verify)


def rewrite(source: Path, target: Path, change) -> Path:
    """Copy a container member by member, letting `change(name, data)` alter or drop them."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            result = change(info.filename, old.read(info))
            if result is not None:
                new.writestr(info, result)
    return target


def test_round_trip_keeps_every_member_and_the_header(tmp_path):
    opened = open_(write(tmp_path / "p.pdpacket"))
    assert opened.members == MEMBERS
    assert opened.manifest["round"] == "GW-2026-01"
    assert (
        opened.manifest["members"]["submissions.json"]["sha256"]
        == hashlib.sha256(MEMBERS["submissions.json"]).hexdigest()
    )


def test_the_same_content_gives_the_same_bytes(tmp_path):
    assert write(tmp_path / "a").read_bytes() == write(tmp_path / "b").read_bytes()


def test_not_a_zip(tmp_path):
    path = tmp_path / "p.pdpacket"
    path.write_text("hello")
    with pytest.raises(BadInput, match="not a zip archive"):
        open_(path)


def test_truncated_file(tmp_path):
    path = write(tmp_path / "p.pdpacket")
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(BadInput) as caught:
        open_(path)
    assert str(path) in str(caught.value)


def test_missing_manifest(tmp_path):
    bad = rewrite(
        write(tmp_path / "p"), tmp_path / "q", lambda n, d: None if n == "manifest.json" else d
    )
    with pytest.raises(BadInput, match=re.escape("no manifest.json")):
        open_(bad)


def test_malformed_manifest(tmp_path):
    bad = rewrite(
        write(tmp_path / "p"),
        tmp_path / "q",
        lambda n, d: b"{not json" if n == "manifest.json" else d,
    )
    with pytest.raises(BadInput, match=re.escape("manifest.json is malformed")):
        open_(bad)


def test_member_whose_hash_does_not_match(tmp_path):
    bad = rewrite(
        write(tmp_path / "p"),
        tmp_path / "q",
        lambda n, d: b'{"a": 2}' if n == "submissions.json" else d,
    )
    with pytest.raises(BadInput, match=re.escape("'submissions.json' does not match its hash")):
        open_(bad)


def test_manifest_edited_to_match_a_changed_member_breaks_the_signature(tmp_path):
    changed = b'{"a": 2}'

    def change(name: str, data: bytes) -> bytes:
        if name == "submissions.json":
            return changed
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["members"]["submissions.json"] = {
                "sha256": hashlib.sha256(changed).hexdigest(),
                "size": len(changed),
            }
            return json.dumps(manifest).encode()
        return data

    bad = rewrite(write(tmp_path / "p"), tmp_path / "q", change)
    with pytest.raises(BadInput, match="signature does not hold"):
        open_(bad)


def test_member_not_in_the_manifest(tmp_path):
    path = write(tmp_path / "p")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("extra.txt", b"smuggled")
    with pytest.raises(BadInput, match=re.escape("'extra.txt', which its manifest does not list")):
        open_(path)


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", "documents/../../x", "C:evil"])
def test_unsafe_member_names_are_refused(tmp_path, name):
    path = write(tmp_path / "p")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(name, b"x")
    with pytest.raises(BadInput, match="unsafe name"):
        open_(path)


def test_symlink_members_are_refused(tmp_path):
    path = write(tmp_path / "p")
    info = zipfile.ZipInfo("documents/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(BadInput, match="links are refused"):
        open_(path)


def test_zip_bomb_is_refused_without_inflating_it(tmp_path):
    path = write(tmp_path / "p")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.bin", b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros: ~50 KB
    with pytest.raises(BadInput, match="zip bomb"):
        open_(path)


def test_member_lying_about_its_size_is_not_read_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(container, "MAX_MEMBER_BYTES", 1024)
    big = {"submissions.json": b"x" * 4096}
    with pytest.raises(BadInput, match="larger than allowed"):
        open_(write(tmp_path / "p", big))


def test_future_format_version_is_refused_with_advice(tmp_path):
    container.write_container(tmp_path / "p", "packet", 9, {}, MEMBERS, sign)
    with pytest.raises(BadInput, match="format 9, newer than this panel_desk reads"):
        open_(tmp_path / "p")


def test_a_file_of_another_kind_is_refused(tmp_path):
    container.write_container(tmp_path / "p", "return", 1, {}, MEMBERS, sign)
    with pytest.raises(BadInput, match="is a 'return' file, not a packet file"):
        open_(tmp_path / "p")


def test_a_foreign_signature_is_refused(tmp_path):
    container.write_container(tmp_path / "p", "packet", 1, {}, MEMBERS, lambda d: b"forged")
    with pytest.raises(BadInput, match="signature does not hold"):
        open_(tmp_path / "p")


def test_writing_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "p.pdpacket"

    def failing_sign(data: bytes) -> bytes:
        raise RuntimeError("key unavailable")

    with pytest.raises(RuntimeError):
        container.write_container(target, "packet", 1, {}, MEMBERS, failing_sign)
    assert list(tmp_path.iterdir()) == []
