"""A throwaway PostgreSQL server for the tests: initdb into a temp dir, start on a free loopback port.

Debian's `postgresql` package provides the binaries (`make test` installs it); no system service is
used. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.

The data directory lives in /dev/shm when it has room (memory: CREATE DATABASE, which copies template1
for every test, and the final clean-up take a fraction of the time they take on disk), else in the
usual temp dir. Each test's database is dropped after it (`drop_database`), so the directory stays small.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable("PostgreSQL is not installed (Debian package 'postgresql'); `make test` installs it")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scratch_root() -> str | None:
    """/dev/shm if it is a writable memory file system with room to spare, else None (the default temp dir)."""
    try:
        stats = os.statvfs("/dev/shm")
    except OSError:
        return None
    room = stats.f_bavail * stats.f_frsize
    return "/dev/shm" if room >= 2 * 1024**3 and os.access("/dev/shm", os.W_OK) else None


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class RunningPostgres:
    data_dir: Path
    port: int
    bin_dir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def drop_database(self, name: str) -> None:
        """Drop a database made by `create_database`, even if something still holds a connection to it."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run(
            _as_server_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_postgres() -> RunningPostgres:
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="console-pg-", dir=_scratch_root()))
    data_dir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    run = dict(capture_output=True, text=True, check=False)
    done = subprocess.run(
        _as_server_user([str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
        **run,
    )
    if done.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {done.stderr.strip()[-500:]}")
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    done = subprocess.run(
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        **run,
    )
    if done.returncode != 0:
        raise PostgresUnavailable(f"PostgreSQL did not start: {done.stderr.strip()[-500:]}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return RunningPostgres(data_dir, port, bin_dir)
        time.sleep(0.1)
    raise PostgresUnavailable("PostgreSQL did not open its port within 30 s")
