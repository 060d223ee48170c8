"""Dispatches move Draft → Pending → Queued over time (or Error), honour scheduleDate, survive a
restart, and every delivered message lands rendered in the outbox exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lib.messaging import MessagingClient, Recipient, SendStatus
from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER

ATHENS = ZoneInfo("Europe/Athens")
REPO = Path(__file__).resolve().parents[1]
PROMO = {"voucherCode": "SPRING19", "voucherAmount": "100 €", "expirationDate": "28/09/2019"}


def poll_statuses(client: MessagingClient, dispatch_id: int, timeout: float = 10.0) -> list[SendStatus]:
    """Every distinct status seen, in order, until the dispatch is final."""
    seen: list[SendStatus] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch = client.get_dispatch(dispatch_id)
        if not seen or seen[-1] is not dispatch.send_status_id:
            seen.append(dispatch.send_status_id)
        if dispatch.is_final:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"dispatch {dispatch_id} not final after {timeout} s; saw {seen}")


def test_dispatch_moves_draft_pending_queued(sandbox, client):
    sandbox.set_knobs(step_seconds=1.5)
    result = client.send_messages(71, [Recipient("A", mobile_phone="6936862208", payload=PROMO)])
    assert poll_statuses(client, result.dispatch) == [SendStatus.DRAFT, SendStatus.PENDING, SendStatus.QUEUED]
    final = client.get_dispatch(result.dispatch)
    assert final.has_started_queuing and final.has_finished_queuing and final.is_initialized
    assert final.created_at + timedelta(seconds=0.99) <= final.started_queuing_at <= final.finished_queuing_at
    assert final.error_message is None and final.last_update is not None


def test_scheduled_send_is_held_pending_until_its_time(sandbox, client):
    when = (datetime.now(ATHENS) + timedelta(seconds=2)).replace(microsecond=0)  # the platform takes whole seconds
    result = client.send_messages(71, [Recipient("A", mobile_phone="6936862208", payload=PROMO)], schedule_date=when)
    while datetime.now(ATHENS) < when - timedelta(seconds=0.3):  # well before the time: held, nothing delivered
        dispatch = client.get_dispatch(result.dispatch)
        assert dispatch.send_status_id in (SendStatus.DRAFT, SendStatus.PENDING)
        assert not dispatch.has_started_queuing
        assert sandbox.outbox() == []
        time.sleep(0.05)
    assert poll_statuses(client, result.dispatch)[-1] is SendStatus.QUEUED
    final = client.get_dispatch(result.dispatch)
    assert final.started_queuing_at >= when
    assert final.send_at == when and final.queue_at == when
    assert len(sandbox.wait_for_outbox(1)) == 1


def test_error_template_ends_in_error_and_delivers_nothing(sandbox, client):
    sandbox.set_knobs(error_template_ids={73})
    failing = client.send_messages(73, [Recipient("A", mobile_phone="6936862208")])
    working = client.send_messages(71, [Recipient("B", mobile_phone="6936862208", payload=PROMO)])
    assert poll_statuses(client, failing.dispatch)[-1] is SendStatus.ERROR
    dispatch = client.get_dispatch(failing.dispatch)
    assert dispatch.is_final and dispatch.error_message and "73" in dispatch.error_message
    assert [m["dispatchId"] for m in sandbox.wait_for_outbox(1)] == [working.dispatch]
    poll_statuses(client, working.dispatch)
    assert len(sandbox.outbox()) == 1


def test_unknown_knob_is_refused(sandbox):
    with pytest.raises(TypeError, match="stepseconds"):
        sandbox.set_knobs(stepseconds=1)


def test_restart_keeps_dispatches_and_ids_keep_increasing(tmp_path):
    config = SandboxConfig(port=0, data_dir=tmp_path, step_seconds=0.05, user="u", password="p")
    with run_sandbox_in_thread(config) as first:
        client = MessagingClient(first.url, "u", "p")
        ids = [client.send_messages(71, [Recipient(f"R{n}", mobile_phone="6936862208")]).dispatch for n in range(2)]
        before = first.wait_for_outbox(2)
    with run_sandbox_in_thread(config) as second:
        client = MessagingClient(second.url, "u", "p")
        assert [client.get_dispatch(i).send_status_id for i in ids] == [SendStatus.QUEUED, SendStatus.QUEUED]
        later = client.send_messages(71, [Recipient("R9", mobile_phone="6936862208")]).dispatch
        assert ids == [180000, 180001] and later == 180002
        after = second.wait_for_outbox(3)
    assert after[:2] == before  # the earlier messages were not delivered again


def test_outbox_holds_each_rendered_message_once(sandbox, client):
    client.send_messages(
        71,
        [
            Recipient("A", mobile_phone="6936862208", payload=PROMO),
            Recipient("B", mobile_phone="1936862208", payload=PROMO),  # invalid: never delivered
        ],
    )
    client.send_messages(72, [Recipient("K", mobile_phone="+306936862209", payload={"Firstname": "Μαρία"})])
    messages = sandbox.wait_for_outbox(2)
    promo, greek = sorted(messages, key=lambda m: m["templateId"])
    assert set(promo) == {"dispatchId", "templateId", "channel", "uniqueId", "to", "text", "queuedAt"}
    assert promo["channel"] == "sms" and promo["to"] == "6936862208" and promo["uniqueId"] == "A"
    assert promo["text"] == "Your voucher SPRING19 is worth 100 €. Use it in any store before 28/09/2019."
    assert datetime.fromisoformat(promo["queuedAt"]).tzinfo is not None
    # A tag missing from the payload shows up literally: the sandbox shows what a careless sender would send.
    assert greek["text"] == "Γεια σου Μαρία! Η κάρτα σου {{cardNumber}} έχει {{points}} πόντους. Ευχαριστούμε!"
    for _ in range(3):  # looking again (outbox reads, GETs) never delivers twice
        client.get_dispatch(promo["dispatchId"])
        assert len(sandbox.outbox()) == 2
    lines = (sandbox.config.data_dir / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == sandbox.outbox()


def test_email_outbox_has_the_subject_and_an_escaped_body(sandbox, client):
    payload = {"Firstname": "Tom & <Jerry>", "voucherCode": "X1", "voucherAmount": "5 €", "expirationDate": "1/6"}
    client.send_messages(81, [Recipient("E", email="tom@shop.gr", mobile_phone="6936862208", payload=payload)])
    (message,) = sandbox.wait_for_outbox(1)
    assert message["channel"] == "email" and message["to"] == "tom@shop.gr"
    assert message["subject"] == "Tom & <Jerry>, your spring voucher is here"
    assert "<h1>Hello Tom &amp; &lt;Jerry&gt;,</h1>" in message["text"]
    assert "<strong>X1</strong>" in message["text"]


def test_concurrent_sends_get_distinct_ids_and_all_messages(sandbox, client):
    ids: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        with MessagingClient(sandbox.url, SANDBOX_USER, SANDBOX_PASSWORD) as own:
            dispatch = own.send_messages(71, [Recipient(f"T{n}", mobile_phone="6936862208", payload=PROMO)]).dispatch
        with lock:
            ids.append(dispatch)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == list(range(180000, 180008))
    messages = sandbox.wait_for_outbox(8)
    assert sorted(m["uniqueId"] for m in messages) == sorted(f"T{n}" for n in range(8))


def test_command_line_serves_until_stopped(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "lib", "sandbox", "--port", "0", "--data-dir", str(tmp_path), "--user", "cli",
         "--password", "cli-pw", "--step-seconds", "0.05", "--error-template", "73"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first_line = process.stdout.readline()
        assert "http://127.0.0.1:" in first_line, process.stderr.read() if process.poll() is not None else first_line
        url = first_line.split()[3]
        client = MessagingClient(url, "cli", "cli-pw")
        assert client.check_connection().ok
        delivered = client.send_messages(71, [Recipient("B", mobile_phone="6936862208", payload=PROMO)])
        outbox = tmp_path / "outbox.jsonl"
        deadline = time.monotonic() + 10
        while not (
            outbox.exists() and outbox.read_text(encoding="utf-8").endswith("\n")
        ):  # nobody polls: still written
            assert time.monotonic() < deadline, "the command-line sandbox never wrote its outbox"
            time.sleep(0.05)
        assert json.loads(outbox.read_text(encoding="utf-8"))["dispatchId"] == delivered.dispatch
        failing = client.send_messages(73, [Recipient("A", mobile_phone="6936862208")])
        assert poll_statuses(client, failing.dispatch)[-1] is SendStatus.ERROR
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_command_line_refuses_a_broken_catalog(tmp_path):
    catalog = tmp_path / "templates.json"
    catalog.write_text("[{", encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "lib", "sandbox", "--port", "0", "--templates", str(catalog), "--data-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert finished.returncode == 1
    assert "Cannot read the template catalog" in finished.stderr and "not valid JSON" in finished.stderr


def test_every_process_finds_the_sandbox_make_run_started(tmp_path):
    """The app, the worker and the command line talk to the one sandbox `make run` started, without
    flags; when it stops, its address is withdrawn and a process alone starts its own."""
    from lib.runtime import start_runtime
    from lib.sandbox.embedded import running_sandbox_url
    from lib.settings import load_settings

    process = subprocess.Popen(
        [sys.executable, "-m", "lib", "sandbox", "--port", "0", "--data-dir", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    env = {"CONSOLE_SANDBOX_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}"}
    try:
        url = process.stdout.readline().split()[3]
        assert running_sandbox_url(tmp_path) == url
        runtime = start_runtime(load_settings(env, secrets_path=tmp_path / "none.toml"))
        try:
            assert runtime.platform_url == url and runtime.sandbox is None
        finally:
            runtime.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert running_sandbox_url(tmp_path) is None
    alone = start_runtime(load_settings(env, secrets_path=tmp_path / "none.toml"))
    try:
        assert alone.sandbox is not None and alone.platform_url != url
        assert running_sandbox_url(tmp_path) == alone.platform_url
    finally:
        alone.close()
    assert running_sandbox_url(tmp_path) is None


def test_an_address_left_by_a_killed_sandbox_is_ignored(tmp_path):
    from lib.sandbox.embedded import running_sandbox_url

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "sandbox.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": int(dead.stdout)}))
    assert running_sandbox_url(tmp_path) is None
    (tmp_path / "sandbox.json").write_text(json.dumps({"url": "http://evil.example:80", "pid": 1}))
    assert running_sandbox_url(tmp_path) is None
