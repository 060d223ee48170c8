"""Database faults: a history file that is empty, damaged, read-only or locked by another program.

Each must end in one sentence naming the file and what to do (StoreError), nothing sent, no
traceback on the command line or the Home page, and the file left exactly as it was: an existing
file is never recreated.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.history.store import StoreError, close_all_stores, open_store
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER, subprocess_env
from tests.support_app import app_env, page_path  # noqa: F401
from tests.test_history_store import new_send

ROOT = Path(__file__).resolve().parents[1]
LIST = "uniqueId,mobilePhone,voucherCode,voucherAmount,expirationDate\nC1,6936862208,V1,10 €,31/12/2026\n"


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    close_all_stores()


def a_real_database(path: Path) -> None:
    """A history database with a few pages of sends, closed (its write-ahead log folded in)."""
    store = open_store(f"sqlite:///{path}", shared=False)
    for i in range(20):
        new_send(store, claim=f"claim-{i}")
    store.engine.dispose()


def zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def truncated(path: Path) -> None:
    a_real_database(path)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def header_only(path: Path) -> None:
    a_real_database(path)
    with path.open("r+b") as f:
        f.truncate(100)


FILE_FAULTS: list[tuple[str, Callable[[Path], None], str]] = [
    ("zero bytes", zero_bytes, "is empty (0 bytes)"),
    ("random bytes", random_bytes, "is damaged"),
    ("truncated to half", truncated, "is damaged"),
    ("only the header left", header_only, "is damaged"),
]


@pytest.mark.parametrize(("fault", "make", "says"), FILE_FAULTS, ids=[f[0] for f in FILE_FAULTS])
def test_a_broken_file_is_refused_in_one_sentence_and_left_as_it_was(tmp_path, fault, make, says):
    path = tmp_path / "console.db"
    make(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as refused:
        open_store(f"sqlite:///{path}")
    message = str(refused.value)
    assert says in message and str(path) in message
    assert "backup" in message and "move it away" in message  # what to do
    assert "\n" not in message
    assert path.read_bytes() == before  # never recreated, never "repaired"
    assert not path.with_name("console.db-wal").exists() or fault != "zero bytes"


@contextmanager
def read_only(target: Path) -> Iterator[None]:
    """chmod is enough for an ordinary user; root ignores it, so as root the file is made immutable."""
    if os.geteuid() != 0:
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield
        finally:
            target.chmod(0o755 if target.is_dir() else 0o644)
        return
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        pytest.skip("this file system cannot make a file read-only for root (chattr +i)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_file_or_folder_is_refused_in_one_sentence(tmp_path, what):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "console.db"
    a_real_database(path)
    with read_only(path if what == "file" else folder), pytest.raises(StoreError) as refused:
        open_store(f"sqlite:///{path}")
    assert "cannot be written" in str(refused.value) and str(path) in str(refused.value)
    assert "make both writable" in str(refused.value)


@contextmanager
def locked_by_another_process(path: Path, seconds: int = 40) -> Iterator[None]:
    """Another program holds the database's exclusive lock for `seconds` (it is stopped at the end)."""
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            f"time.sleep({seconds})\n",
            str(path),
        ],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_a_database_locked_by_another_program_is_named_after_the_busy_timeout(tmp_path):
    """A current database opens without writing (WAL lets it be read under another's lock): its history
    still shows, and the first write, a new send, is refused in one sentence naming the file."""
    path = tmp_path / "console.db"
    a_real_database(path)
    with locked_by_another_process(path):
        store = open_store(f"sqlite:///{path}", busy_timeout=0.3)
        before = len(store.list_sends())
        assert before > 0  # a_real_database's sends, read under the lock
        with pytest.raises(StoreError) as refused:
            new_send(store)
        assert len(store.list_sends()) == before
    assert "is locked by another program (waited 0.3 seconds)" in str(refused.value)
    assert str(path) in str(refused.value)


def test_a_lock_taken_after_opening_stops_a_new_send_before_anything_is_written(tmp_path):
    path = tmp_path / "console.db"
    store = open_store(f"sqlite:///{path}", busy_timeout=0.3)
    with locked_by_another_process(path), pytest.raises(StoreError, match="locked by another program"):
        new_send(store)
    assert store.list_sends() == []


def _sandbox_dispatches(sandbox) -> int:
    with sqlite3.connect(Path(sandbox.config.data_dir) / "sandbox.db") as db:
        return db.execute("SELECT count(*) FROM dispatches").fetchone()[0]


CLI_FAULTS = [(name, make, says) for name, make, says in FILE_FAULTS[:2]] + [
    ("locked for 40 s", None, "locked by another program"),
]


@pytest.mark.parametrize(("fault", "make", "says"), CLI_FAULTS, ids=[f[0] for f in CLI_FAULTS])
def test_the_command_line_says_one_sentence_and_sends_nothing(tmp_path, sandbox, fault, make, says):
    path = tmp_path / "console.db"
    (make or a_real_database)(path)
    recipients = tmp_path / "list.csv"
    recipients.write_text(LIST, encoding="utf-8")
    env = subprocess_env("MESSAGING_", "CONSOLE_", "DATABASE_URL")
    env.update(
        DATABASE_URL=f"sqlite:///{path}", CONSOLE_DB_BUSY_TIMEOUT="0.3", CONSOLE_QUIET_HOURS="off", MESSAGING_API_URL=sandbox.url,
        MESSAGING_API_USER=SANDBOX_USER, MESSAGING_API_PASSWORD=SANDBOX_PASSWORD,
        CONSOLE_AUTH="off",  # one local person: no approval (issue 11)
    )
    commands = {"send": [sys.executable, "-m", "lib", "send", str(recipients), "--template", "71", "--yes"]}
    if make is not None:  # a locked database that is already current has nothing to migrate: migrate says so
        commands["migrate"] = [sys.executable, "-m", "lib", "migrate"]
    with locked_by_another_process(path) if make is None else _nothing():
        for name, command in commands.items():
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 2, (name, done.stderr)
            assert "Traceback" not in done.stderr and says in done.stderr and str(path) in done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _sandbox_dispatches(sandbox) == 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def test_the_home_page_shows_the_sentence_instead_of_a_traceback(app_env, tmp_path, monkeypatch):  # noqa: F811
    path = tmp_path / "console.db"
    path.write_bytes(b"")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    at = AppTest.from_file(str(Path(page_path("home.py")).parents[1] / "app.py"), default_timeout=30).run()
    assert not at.exception, at.exception
    assert at.error and "is empty (0 bytes)" in at.error[0].value and str(path) in at.error[0].value
    assert path.read_bytes() == b""
    path.unlink()  # app_env's teardown starts the runtime once more to stop its sandbox


def test_an_unreachable_postgresql_is_named_without_its_password():
    with pytest.raises(StoreError) as refused:
        open_store("postgresql+psycopg://console:pw-s3cret@127.0.0.1:1/history")
    message = str(refused.value)
    assert "postgresql+psycopg://console@127.0.0.1:1/history" in message
    assert "check that PostgreSQL is running and DATABASE_URL is right" in message
    assert "pw-s3cret" not in message and "\n" not in message
