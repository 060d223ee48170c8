"""`python -m lib send`: summary, confirmation, progress, dispatch ids, and one exit code per outcome."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

import lib.cli.send as send_cli
from lib.history.store import close_all_stores, open_store
from lib.messaging.client import MessagingClient
from lib.settings import load_settings
from lib.templates import load_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER, subprocess_env

ROOT = Path(__file__).resolve().parents[1]
HEADER = "uniqueId,mobilePhone,voucherCode,voucherAmount,expirationDate\n"
GOOD_ROWS = "C1,6936862208,V1,10 €,31/12/2026\nC2,6936862209,V2,,31/12/2026\nC3,12345,V3,5 €,31/12/2026\nC4,6936862210,V4,5 €,31/12/2026\n"


@pytest.fixture
def env(tmp_path, sandbox):
    """Settings for a console on the test sandbox, with the catalog in the history store."""
    values = {
        "MESSAGING_API_URL": sandbox.url,
        "MESSAGING_API_USER": SANDBOX_USER,
        "MESSAGING_API_PASSWORD": SANDBOX_PASSWORD,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}",
        "CONSOLE_BATCH_SIZE": "2",
        "CONSOLE_OPERATOR": "maria",
        "CONSOLE_AUTH": "off",  # one local person holding every role: no approval (tests/test_approvals_cli.py)
        "CONSOLE_QUIET_HOURS": "off",  # quiet hours are tested on their own, not by the hour this runs at
    }
    store = open_store(values["DATABASE_URL"])
    for template in load_catalog():
        store.upsert_template(template)
    yield values
    close_all_stores()


def run(env, monkeypatch, *argv, answer="", client_read_timeout=None):
    settings = load_settings(env=env, secrets_path=Path("/nonexistent"))
    monkeypatch.setattr(send_cli, "get_settings", lambda: settings)
    if client_read_timeout is not None:
        original = MessagingClient.from_settings.__func__

        def short(cls, s, base_url=None):
            client = original(cls, s, base_url)
            client.read_timeout = client_read_timeout
            return client

        monkeypatch.setattr(MessagingClient, "from_settings", classmethod(short))
    return send_cli.main(list(argv), ask=lambda _question: answer)


@pytest.fixture
def csv(tmp_path):
    def write(rows=GOOD_ROWS, name="list.csv"):
        path = tmp_path / name
        path.write_text(HEADER + rows, encoding="utf-8")
        return str(path)

    return write


def test_send_prints_summary_progress_and_dispatch_ids(env, monkeypatch, csv, capsys):
    code = run(env, monkeypatch, csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    out = capsys.readouterr().out
    assert code == 0
    assert "Recipients: 3 will receive it; 1 excluded" in out
    assert "SMS parts:  3, estimated cost €0.15" in out  # money in the reader's format
    assert f"THE REAL PLATFORM at {env['MESSAGING_API_URL']}" in out  # not the embedded sandbox: say so loudly
    assert "part 1/2 (2 recipients): sent, dispatch" in out and "part 2/2 (1 recipient): sent" in out
    assert "Sent to 3 recipients in 2 dispatches." in out
    assert "Send #1; dispatch ids: " in out


def test_the_same_file_again_leaves_everyone_out_and_posts_nothing(env, monkeypatch, csv, capsys):
    assert run(env, monkeypatch, csv(), "--template", "71", "--yes") == 0
    capsys.readouterr()
    assert run(env, monkeypatch, csv(), "--template", "71", "--yes") == 3
    assert "Nobody is left to send to: 2 left out: already received" in capsys.readouterr().err
    assert len(open_store(env["DATABASE_URL"]).list_sends()) == 1


def test_including_those_who_received_it_still_needs_the_earlier_send_named(env, monkeypatch, csv, capsys):
    assert run(env, monkeypatch, csv(), "--template", "71", "--yes") == 0
    capsys.readouterr()
    assert run(env, monkeypatch, csv(), "--template", "71", "--yes", "--include-already-received") == 4
    assert "already sent on" in capsys.readouterr().err  # the whole-manifest claim: the last line of defence
    argv = (csv(), "--template", "71", "--yes", "--include-already-received", "--resend-of", "1")
    assert run(env, monkeypatch, *argv) == 0
    out = capsys.readouterr().out
    assert "RESEND:" in out and "SEND AGAIN: 2 who already received it will get it again" in out


def test_answering_no_sends_nothing(env, monkeypatch, csv, capsys):
    assert run(env, monkeypatch, csv(), "--template", "71", answer="n") == 1
    assert "nothing was sent" in capsys.readouterr().err
    assert open_store(env["DATABASE_URL"]).list_sends() == []


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["{missing}", "--template", "71"], 2, "There is no file"),
        (["{file}", "--template", "999"], 2, "no template 999"),
        (["{file}"], 2, "give a FILE and --template"),
        (["{file}", "--template", "71", "--schedule", "tomorrow"], 2, "not a date and time"),
        (["{file}", "--template", "71", "--schedule", "2020-01-01T10:00"], 2, "in the past"),
        (["{file}", "--template", "71", "--default", "novalue"], 2, "must look like tag=value"),
        (["{file}", "--template", "71", "--bogus"], 2, "unrecognized arguments"),
        (["{bad}", "--template", "71", "--yes"], 3, "no row that can be sent"),
        (["{file}", "--template", "73", "--yes"], 3, "no column for {{Firstname}}"),
        (["{png}", "--template", "71", "--yes"], 2, "png.csv"),
    ],
)
def test_exit_codes_for_problems(env, monkeypatch, csv, capsys, tmp_path, argv, code, says):
    png = tmp_path / "png.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    paths = {
        "{file}": csv(),
        "{bad}": csv("C1,123,V1,1,2\n", name="bad.csv"),
        "{missing}": str(tmp_path / "absent.csv"),
        "{png}": str(png),
    }
    assert run(env, monkeypatch, *[paths.get(a, a) for a in argv]) == code
    assert says in capsys.readouterr().err
    assert open_store(env["DATABASE_URL"]).list_sends() == []


def test_an_unknown_outcome_exits_5_and_resume_sends_the_rest(env, monkeypatch, csv, capsys, sandbox):
    sandbox.set_knobs(response_delay_seconds=1.0)
    args = (csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    code = run(env, monkeypatch, *args, client_read_timeout=0.3)
    assert code == 5
    assert "may or may not have gone out" in capsys.readouterr().out
    sandbox.set_knobs(response_delay_seconds=0)
    monkeypatch.undo()
    assert run(env, monkeypatch, "--resume", "1", "--yes") == 5  # chunk 1 stays unknown
    out = capsys.readouterr().out
    assert "part 2/2 (1 recipient): sent" in out and "part 1/2" not in out


def test_the_command_runs_on_the_embedded_sandbox_when_no_platform_is_set(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    env = subprocess_env("MESSAGING_", "CONSOLE_", "DATABASE_URL")
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
        CONSOLE_SANDBOX_DIR=str(tmp_path / "sandbox"),
        CONSOLE_BATCH_SIZE="2", CONSOLE_QUIET_HOURS="off",
    )
    command = [sys.executable, "-m", "lib", "send", str(path), "--template", "71", "--yes"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "the local sandbox" in first.stdout and "Sent to 2 recipients in 1 dispatch." in first.stdout
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 3 and "2 left out: already received" in again.stderr  # the ledger, in a new process


def test_map_chooses_the_columns_for_a_send(env, monkeypatch, tmp_path, capsys):
    path = tmp_path / "greek.csv"
    path.write_text("Κωδικός;Τηλ. επικοινωνίας;Κουπόνι;Ποσό;Λήξη\nC1;6936862208;V1;10 €;31/12/2026\n", encoding="utf-8")
    argv = [str(path), "--template", "71", "--yes"]
    assert run(env, monkeypatch, *argv) == 3  # the template's tags have no column
    capsys.readouterr()
    mapped = ["--map", "mobile=Τηλ. επικοινωνίας", "--map", "voucherCode=Κουπόνι", "--map", "voucherAmount=Ποσό",
              "--map", "expirationDate=Λήξη"]
    assert run(env, monkeypatch, *argv, *mapped) == 0
    assert "Recipients: 1 will receive it" in capsys.readouterr().out


def test_gsm_greek_is_one_name_across_commands():
    from lib.cli.check import _parser as check_parser
    from lib.cli.preview import _parser as preview_parser

    for parser in (preview_parser(), send_cli._parser()):
        assert "--gsm-safe-greek" in parser.format_help() and "--gsm-greek" not in parser.format_help()
        assert parser.parse_args(["f.csv", "--template", "71", "--gsm-greek"]).gsm_safe_greek  # hidden alias
    for parser in (check_parser(), preview_parser(), send_cli._parser()):
        assert "--map NAME=COLUMN" in parser.format_help()


# ---- with and without a worker -----------------------------------------------------------------


@pytest.fixture
def running_worker(env, sandbox):
    """A worker (its own connections, as its own process would have) running until the test ends."""
    from lib.sending.engine import SendEngine
    from lib.sending.worker import Worker

    store = open_store(env["DATABASE_URL"], shared=False)
    client = MessagingClient(sandbox.url, SANDBOX_USER, SANDBOX_PASSWORD)
    engine = SendEngine(store, client, batch_size=2, platform_url=sandbox.url, is_sandbox=False, operator="worker")
    worker = Worker(lambda: engine, "test-worker", poll_seconds=0.05, refresh_every=None)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    from tests.support_worker import wait_for

    wait_for(lambda: store.live_workers(timedelta(seconds=10)), 10, "the worker's first heartbeat")
    yield worker
    stop.set()
    thread.join(30)
    client.close()
    store.engine.dispose()


def test_with_a_worker_running_send_queues_and_follows_it_printing_the_same_progress(
    env, monkeypatch, csv, capsys, sandbox, running_worker
):
    from tests.support_worker import sandbox_received

    code = run(env, monkeypatch, csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Send #1 is queued for the worker (1 worker running); following it." in out
    assert "part 1/2 (2 recipients): sent, dispatch" in out and "part 2/2 (1 recipient): sent" in out
    assert "Sent to 3 recipients in 2 dispatches." in out
    send = open_store(env["DATABASE_URL"]).get_send(1).send
    assert send.queue_state == "done" and send.lease_owner is None
    received = sandbox_received(sandbox)
    assert len(received) == 3 and set(received.values()) == {1}


def test_without_a_worker_send_posts_in_its_own_process(env, monkeypatch, csv, capsys, sandbox):
    code = run(env, monkeypatch, csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    out = capsys.readouterr().out
    assert code == 0 and "queued for the worker" not in out and "part 2/2 (1 recipient): sent" in out
    assert open_store(env["DATABASE_URL"]).get_send(1).send.queue_state == "done"


def test_a_person_resolves_an_unknown_chunk_from_the_command_line(env, monkeypatch, csv, capsys, sandbox):
    sandbox.set_knobs(response_delay_seconds=1.0)
    args = (csv(), "--template", "71", "--default", "voucherAmount=20 €", "--yes")
    assert run(env, monkeypatch, *args, client_read_timeout=0.3) == 5
    sandbox.set_knobs(response_delay_seconds=0)
    monkeypatch.undo()
    capsys.readouterr()
    assert run(env, monkeypatch, "--resolve", "1", "--chunk", "2", "--as", "sent", "--by", "eleni") == 2
    assert "not in doubt" in capsys.readouterr().err  # chunk 2 was never posted
    assert run(env, monkeypatch, "--resolve", "1", "--chunk", "1", "--as", "sent") == 2
    assert "--by YOUR-NAME" in capsys.readouterr().err
    code = run(env, monkeypatch, "--resolve", "1", "--chunk", "1", "--as", "sent", "--by", "eleni", "--note", "seen")
    assert code == 0 and "Part 1 of send #1 recorded as sent (decided by eleni)." in capsys.readouterr().out
    assert run(env, monkeypatch, "--resume", "1", "--yes") == 0  # the rest goes out; nothing is in doubt any more
    out = capsys.readouterr().out
    assert "part 2/2 (1 recipient): sent" in out and "part 1/2" not in out
    decisions = open_store(env["DATABASE_URL"]).chunk_decisions(1)
    assert [(d["seq"], d["decision"], d["decided_by"], d["note"]) for d in decisions] == [(1, "marked_sent", "eleni", "seen")]
