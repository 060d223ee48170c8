"""Sandbox + client throughput for one 10k-recipient chunk (the send engine's unit of work).

Prints: POST round trip, outbox flush, GET latency, and the sandbox's address validation with the
per-value cache against a naive baseline that calls phonenumbers/email-validator for every row.
Run: .venv/bin/python bench/bench_sandbox.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.messaging import MessagingClient, Recipient  # noqa: E402
from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread  # noqa: E402
from lib.sandbox.validation import is_valid_email, is_valid_mobile  # noqa: E402

CHUNK = 10_000
PROMO = {"voucherCode": "SPRING19", "voucherAmount": "100 €", "expirationDate": "28/09/2019"}


def recipients(n: int) -> list[Recipient]:
    rng = random.Random(7)
    # Real exports repeat numbers (households, re-registrations): draw from 60% as many distinct values.
    pool = [f"69{rng.randrange(10**8):08d}" for _ in range(int(n * 0.6))]
    return [Recipient(f"C{i}", mobile_phone=rng.choice(pool), payload=PROMO) for i in range(n)]


def bench_validation(chunk: list[Recipient]) -> None:
    mobiles = [r.mobile_phone or "" for r in chunk]
    emails = [f"customer{i % 6000}@shop.gr" for i in range(len(chunk))]
    naive_mobile, naive_email = is_valid_mobile.__wrapped__, is_valid_email.__wrapped__

    started = time.perf_counter()
    for m in mobiles:
        naive_mobile(m, ("GR",))
    for e in emails:
        naive_email(e)
    naive = time.perf_counter() - started

    is_valid_mobile.cache_clear()
    is_valid_email.cache_clear()
    started = time.perf_counter()
    for m in mobiles:
        is_valid_mobile(m, ("GR",))
    for e in emails:
        is_valid_email(e)
    cached = time.perf_counter() - started
    print(f"validate {len(chunk)} mobiles + {len(chunk)} emails: naive {naive * 1000:.0f} ms, "
          f"cached per distinct value {cached * 1000:.0f} ms ({naive / cached:.1f}x)")  # fmt: skip


def bench_round_trip(chunk: list[Recipient]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(port=0, data_dir=Path(tmp), step_seconds=0.05)
        with run_sandbox_in_thread(config) as sandbox:
            client = MessagingClient(sandbox.url, config.user, config.password)
            is_valid_mobile.cache_clear()
            started = time.perf_counter()
            result = client.send_messages(71, chunk)
            post = time.perf_counter() - started
            started = time.perf_counter()
            sandbox.wait_for_outbox(result.total_recipients_sent, timeout=60)
            flush = time.perf_counter() - started
            gets = []
            for _ in range(50):
                started = time.perf_counter()
                client.get_dispatch(result.dispatch)
                gets.append(time.perf_counter() - started)
    print(f"POST {len(chunk)} recipients: {post * 1000:.0f} ms round trip ({result.total_recipients_sent} accepted)")
    print(
        f"outbox: {result.total_recipients_sent} rendered messages in {flush * 1000:.0f} ms (incl. 0.1 s of lifecycle)"
    )
    print(f"GET dispatch: median {statistics.median(gets) * 1000:.1f} ms over {len(gets)} calls")


if __name__ == "__main__":
    chunk = recipients(CHUNK)
    bench_validation(chunk)
    bench_round_trip(chunk)
