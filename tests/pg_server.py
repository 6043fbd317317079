"""A throwaway PostgreSQL server for one test run: initdb into a temporary folder, start it
on a free loopback port, hand out databases, stop it and delete everything at the end.

Why here and not a service of the machine: `make test` must work on a fresh Debian (CI
runs as root, with no server running) and on a developer's laptop without touching any
cluster they have. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user that Debian's packages create (`runuser`); otherwise as the current user.

`PANEL_DESK_TEST_PG` set to a server URL (a role that may CREATE DATABASE) uses that server
instead. The PostgreSQL leg is skipped, with the reason printed, only where no server
binaries are installed (`make test` installs them from Debian's packages where it can).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"
ROLE = "panel"
ENV_URL = "PANEL_DESK_TEST_PG"


class Unavailable(Exception):
    """No PostgreSQL can be had here; the message says why (printed with the skip)."""


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or one on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ThrowawayServer:
    """A running server; `url(name)` is a SQLAlchemy URL for database `name` on it."""

    folder: Path | None
    base_url: str
    bindir: Path | None = None
    as_user: str | None = None

    def url(self, database: str) -> str:
        return self.base_url.rsplit("/", 1)[0] + "/" + database

    def _as_server_user(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.as_user, "--", *command] if self.as_user else list(command)

    def stop(self) -> None:
        if self.folder is None or self.bindir is None:
            return
        subprocess.run(
            self._as_server_user(
                str(self.bindir / "pg_ctl"), "stop", "-D", str(self.folder / "data"), "-m", "fast"
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> ThrowawayServer:
    """A server to test on: the one named by PANEL_DESK_TEST_PG, or a new throwaway one."""
    external = os.environ.get(ENV_URL)
    if external:
        return ThrowawayServer(folder=None, base_url=external)
    bindir = server_binaries()
    if bindir is None:
        raise Unavailable(
            "PostgreSQL is not installed (no initdb found); `make test` installs it from "
            "Debian's packages where it can (sh packaging/install-system-deps postgresql)"
        )
    as_user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise Unavailable(
                f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
            ) from None
        as_user = SERVER_USER
    folder = Path(tempfile.mkdtemp(prefix="panel-desk-pg-"))
    password = secrets.token_hex(16)
    (folder / "password").write_text(password + "\n")
    if as_user is not None:
        entry = pwd.getpwnam(as_user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        os.chown(folder / "password", entry.pw_uid, entry.pw_gid)
    port = free_port()
    server = ThrowawayServer(
        folder=folder,
        base_url=f"postgresql+psycopg://{ROLE}:{password}@127.0.0.1:{port}/postgres",
        bindir=bindir,
        as_user=as_user,
    )
    data = folder / "data"
    steps = [
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            ROLE,
            "--pwfile",
            str(folder / "password"),
            "--auth",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        ],
        [
            str(bindir / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            # Loopback only; the socket in our folder, never the system's. Durability off:
            # the server and its data are thrown away when the run ends.
            "-o",
            f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200",
        ],
    ]
    for step in steps:
        done = subprocess.run(server._as_server_user(*step), capture_output=True, text=True)
        if done.returncode != 0:
            log = folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            server.stop()
            raise RuntimeError(
                f"{Path(step[0]).name} failed ({done.returncode}): {done.stderr}{done.stdout}{tail}"
            )
    return server
