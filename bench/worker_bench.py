"""Worker figures on PostgreSQL against the sandbox: draining the queue with 1 worker vs 4, and lease takeover.

1. S queued sends of N recipients each (default 200 × 10,000, chunks of 1,000) are drained by ONE
   worker process (the baseline), then the same sends, reset to queued, by FOUR worker processes,
   in the same run: recipients per second each, and the ratio.
2. A worker is killed with SIGKILL in the middle of a send while a second worker is running: seconds
   from the kill until the next chunk of that send is accepted by the other (the lease is --lease).
The sandbox runs as its own process (dispatches stay Draft for an hour so it renders no outbox);
PostgreSQL is a throwaway server (tests/pg.py) unless --database-url names one.
Run: .venv/bin/python bench/worker_bench.py [--sends 200] [--size 10000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, update  # noqa: E402

from lib.history import schema as s  # noqa: E402
from lib.history.store import open_store  # noqa: E402
from lib.messaging.client import MessagingClient  # noqa: E402
from lib.sending.engine import SEND_LEASE, SendEngine  # noqa: E402
from lib.sending.manifest import ManifestRecipient, make_manifest  # noqa: E402
from lib.templates import load_catalog  # noqa: E402

PROMO = next(t for t in load_catalog() if t.id == 71)
USER, PASSWORD = "bench", "bench-secret"
PAYLOAD = (("expirationDate", "31/12/2026"), ("voucherAmount", "10 €"), ("voucherCode", "V1"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "lib", "sandbox", "--port", str(port), "--data-dir", str(data_dir),
               "--user", USER, "--password", PASSWORD, "--step-seconds", "3600"]  # fmt: skip
    log = open(data_dir.parent / "sandbox.log", "w")  # noqa: SIM115 - the process writes it until stopped
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the sandbox did not start: {(data_dir.parent / 'sandbox.log').read_text()[-2000:]}")


def start_worker(url: str, platform: str, lease: float | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESSAGING_", "CONSOLE_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, MESSAGING_API_URL=platform, MESSAGING_API_USER=USER, MESSAGING_API_PASSWORD=PASSWORD)
    command = [sys.executable, "-m", "lib", "worker", "--no-refresh", "--poll", "0.05"]
    if lease:
        command += ["--lease", str(lease)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def manifest(size: int, tag: str):
    people = [ManifestRecipient(i + 2, f"{tag}{i:06d}", f"+3069{30000000 + i:08d}", None, PAYLOAD) for i in range(size)]
    return make_manifest(PROMO, people, schedule_at=None)


def wait_until(condition, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(interval)


def hold_all(store) -> None:
    """Every send back to pending chunks, held out of the queue (so workers start on a signal)."""
    with store.write() as conn:
        conn.execute(update(s.chunks).values(status="pending", dispatch_id=None, total_recipients_sent=None, attempts=0))
        conn.execute(delete(s.dispatches))
        conn.execute(update(s.sends).values(queue_state="held", lease_owner=None, lease_expires_at=None))


def release_all(store) -> None:
    with store.write() as conn:
        conn.execute(update(s.sends).where(s.sends.c.queue_state == "held").values(queue_state="queued"))


def drain(store, url: str, platform: str, workers: int, recipients: int) -> float:
    hold_all(store)
    procs = [start_worker(url, platform) for _ in range(workers)]
    try:
        wait_until(lambda: len(store.live_workers(timedelta(seconds=10))) >= workers, 60,
                   "the workers' heartbeats")  # fmt: skip
        started = time.perf_counter()
        release_all(store)
        wait_until(lambda: not store.queued_send_ids(), 3600, "the queue to drain", 0.1)
        seconds = time.perf_counter() - started
    finally:
        stop(procs)
        with store.write() as conn:  # the next phase counts its own heartbeats
            conn.execute(delete(s.workers))
    rate = recipients / seconds
    print(f"  {workers} worker{'s' if workers > 1 else ''}: {recipients:,} recipients in {seconds:7.2f} s = "
          f"{rate:10,.0f} recipients/s", flush=True)  # fmt: skip
    return rate


def takeover(store, url: str, platform: str, engine: SendEngine, lease: float, rounds: int) -> list[float]:
    figures = []
    for round_no in range(rounds):
        send_id = engine.enqueue(manifest(40_000, f"T{round_no}_"))  # 40 chunks of 1,000
        procs = [start_worker(url, platform, lease) for _ in range(2)]
        try:
            def holder(send_id=send_id) -> str:
                return store.get_send(send_id).send.lease_owner or ""

            def accepted(send_id=send_id) -> int:
                return sum(1 for c in store.get_send(send_id).chunks if c.status == "accepted")

            wait_until(lambda: accepted() >= 3, 120, "the send to start")
            victim = next(p for p in procs if f":{p.pid}:" in holder())
            before = accepted()
            victim.send_signal(signal.SIGKILL)
            killed_at = time.perf_counter()
            wait_until(lambda b=before: accepted() > b + 1, 120, "another worker to continue", 0.01)
            figures.append(time.perf_counter() - killed_at)
        finally:
            stop(procs)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=200)
    parser.add_argument("--size", type=int, default=10_000, help="recipients per send")
    parser.add_argument("--batch", type=int, default=1000, help="recipients per chunk (one POST)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--lease", type=float, help="lease seconds for the takeover figure (default: the worker's own)")
    parser.add_argument("--takeovers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 sends of 2,000 and one takeover")
    parser.add_argument("--database-url", help="a PostgreSQL URL; default: a throwaway server")
    args = parser.parse_args(argv)
    if args.quick:
        args.sends, args.size, args.takeovers = 20, 2000, 1
    server = None
    url = args.database_url
    if url is None:
        from tests.pg import start_postgres

        server = start_postgres()
        url = server.create_database(f"bench_{uuid.uuid4().hex[:8]}")
    tmp = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    sandbox, platform = start_sandbox(tmp / "sandbox")
    try:
        store = open_store(url)
        client = MessagingClient(platform, USER, PASSWORD)
        # The workers are given the sandbox as MESSAGING_API_URL: its sends carry that platform key.
        engine = SendEngine(store, client, batch_size=args.batch, platform_url=platform, is_sandbox=False,
                            operator="bench")  # fmt: skip
        total = args.sends * args.size
        print(f"PostgreSQL; {args.sends} sends of {args.size:,} recipients ({total:,}), chunks of {args.batch:,}")
        started = time.perf_counter()
        for i in range(args.sends):
            engine.enqueue(manifest(args.size, f"S{i}_"))
        print(f"  queued in {time.perf_counter() - started:.1f} s (not timed below)", flush=True)
        one = drain(store, url, platform, 1, total)
        many = drain(store, url, platform, args.workers, total)
        print(f"  {args.workers} workers vs 1 (the baseline, same run): {many / one:.2f}x "
              f"on {os.cpu_count()} cores shared with the sandbox and PostgreSQL")  # fmt: skip
        with store.write() as conn:
            conn.execute(update(s.sends).where(s.sends.c.queue_state == "held").values(queue_state="done"))
        figures = takeover(store, url, platform, engine, args.lease, args.takeovers)
        lease = f"{args.lease:g} s" if args.lease else f"{SEND_LEASE.total_seconds():g} s, the default"
        print(f"kill -9 of the worker holding a send (lease {lease}): the other worker continued it after "
              f"{statistics.median(figures):.2f} s (median of {len(figures)}: "
              f"{', '.join(f'{f:.2f}' for f in figures)})")  # fmt: skip
        client.close()
        store.engine.dispose()
    finally:
        stop([sandbox])
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
