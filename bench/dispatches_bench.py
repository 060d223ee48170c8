"""Dispatches figures: the page's script on a big history, and a status refresh of 200 pending dispatches.

Seeds a fresh SQLite store with 10,000 sends, 20,000 chunks, 20,000 dispatches and 100,000 snapshots
(plus chunk recipients for the search), then prints:
- the Dispatches page's script under streamlit.testing.v1.AppTest (median of 5 runs; target <= 1 s),
  next to the lib calls it makes, and next to a naive read of the same history (every row through
  the store's per-row datetime conversion, as `HistoryStore.list_sends` does);
- a refresh of 200 pending dispatches against a real sandbox over HTTP with bounded concurrency
  (target <= 5 s), next to a naive sequential refresh (one request at a time) in the same run.
Run: .venv/bin/python bench/dispatches_bench.py [--sends 10000] [--pending 200] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from lib.history import queries as q  # noqa: E402
from lib.history import schema as s  # noqa: E402
from lib.history.refresh import refresh_pending  # noqa: E402
from lib.history.store import HistoryStore, close_all_stores, open_store  # noqa: E402
from lib.messaging import MessagingClient, Recipient  # noqa: E402
from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread  # noqa: E402

TZ_NAME = "Europe/Athens"
TEMPLATES = {71: ("Spring promo", "sms"), 72: ("Greek SMS", "sms"), 73: ("Birthday", "sms"), 81: ("Newsletter", "email")}


def seed(store: HistoryStore, sends: int, snapshots: int, now: datetime) -> None:
    """Two chunks per send, one dispatch per chunk, `snapshots` status changes spread over them."""
    rng = random.Random(7)
    send_rows, chunk_rows, dispatch_rows, snapshot_rows, recipient_rows = [], [], [], [], []
    chunk_id = 0
    dispatch_id = 500_000
    for send_id in range(1, sends + 1):
        template_id = rng.choice(list(TEMPLATES))
        name, channel = TEMPLATES[template_id]
        created = now - timedelta(days=rng.uniform(0, 29), seconds=rng.uniform(0, 3600))
        scheduled = created + timedelta(hours=rng.uniform(1, 48)) if rng.random() < 0.1 else None
        per_chunk = rng.randint(50, 1000)
        send_rows.append(
            {
                "id": send_id, "manifest_hash": f"{send_id:064x}", "claim": f"{send_id:064x}", "platform": "sandbox",
                "template_id": template_id,
                "template_name": name, "channel": channel, "schedule_at": scheduled, "created_at": created,
                "created_by": rng.choice(["maria", "nikos", "eleni"]), "platform_url": "http://sandbox",
                "is_sandbox": True, "is_test": False, "resend_of": None, "total_recipients": 2 * per_chunk,
                "excluded_recipients": rng.randint(0, 20), "estimated_parts": 2 * per_chunk if channel == "sms" else None,
                "estimated_cost": f"{2 * per_chunk * 0.05:.2f}" if channel == "sms" else None, "batch_size": 1000,
            }
        )
        for seq in (1, 2):
            chunk_id += 1
            dispatch_id += 1
            invalid = rng.randint(0, 5)
            status = rng.choices([3, 7, 2, 1], weights=[90, 3, 5, 2])[0]
            final = status == 7 or status == 3
            finished = created + timedelta(seconds=rng.uniform(1, 600)) if status == 3 else None
            chunk_rows.append(
                {
                    "id": chunk_id, "send_id": send_id, "seq": seq, "status": "accepted", "recipient_count": per_chunk,
                    "dispatch_id": dispatch_id, "total_recipients_sent": per_chunk - invalid,
                    "invalid_recipients": invalid,
                    "invalid_json": json.dumps({"invalidEmails": [], "invalidMobiles": [
                        {"uniqueId": f"S{send_id}-{seq}-{i}", "mobile": "1936862208"} for i in range(invalid)]}),
                    "error_message": None, "attempts": 1, "updated_at": created,
                }
            )
            recipient_rows.append(
                {"chunk_id": chunk_id, "position": 1, "unique_id": f"S{send_id}-{seq}-0", "row_number": 2,
                 "destination": "+306936800000", "card_number": None, "payload_json": "{}"}
            )
            dispatch_rows.append(
                {
                    "platform": "sandbox", "dispatch_id": dispatch_id, "send_id": send_id, "chunk_id": chunk_id,
                    "template_id": template_id,
                    "message_type_id": 1 if channel == "sms" else 2, "total_recipients": per_chunk,
                    "send_status_id": status, "has_started_queuing": status in (3, 7), "has_finished_queuing": final,
                    "is_test": False, "error_message": "Gateway refused the batch" if status == 7 else None,
                    "created_at": created, "started_queuing_at": created + timedelta(seconds=1) if status == 3 else None,
                    "finished_queuing_at": finished, "send_at": scheduled or created, "queue_at": scheduled or created,
                    "raw_json": "{}", "is_final": final, "first_seen_at": created, "last_refreshed_at": now,
                    "last_changed_at": finished or created,
                }
            )
    for n in range(snapshots):
        row = dispatch_rows[n % len(dispatch_rows)]
        snapshot_rows.append(
            {
                "platform": "sandbox", "dispatch_id": row["dispatch_id"], "seq": n // len(dispatch_rows) + 1,
                "taken_at": row["created_at"] + timedelta(seconds=n // len(dispatch_rows)),
                "send_status_id": min(3, 1 + n // len(dispatch_rows)), "has_started_queuing": False,
                "has_finished_queuing": False, "started_queuing_at": None, "finished_queuing_at": None,
                "error_message": None,
            }
        )
    with store.write() as conn:
        conn.execute(insert(s.sends), send_rows)
        conn.execute(insert(s.chunks), chunk_rows)
        conn.execute(insert(s.chunk_recipients), recipient_rows)
        conn.execute(insert(s.dispatches), dispatch_rows)
        conn.execute(insert(s.dispatch_snapshots), snapshot_rows)


def median_seconds(action, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def lib_calls(store: HistoryStore, tz) -> None:
    """What the page's script asks of lib on a default run (last 30 days, no filters)."""
    now = datetime.now(UTC)
    today = now.astimezone(tz).date()
    start, end = q.default_period(today)
    flt = q.HistoryFilter(start=start, end=end)
    history = q.load_history(store, flt, tz, {})
    q.kpis(history)
    q.send_table(history, limit=50)
    q.recipients_by_outcome(history)
    q.dispatches_by_status(history)
    q.invalid_share(history)
    q.outcomes_by_send(history)
    q.upcoming(store, now, flt, {})
    q.live_sends(store, now, {})
    q.export_table(history)


def naive_read(store: HistoryStore) -> None:
    """Baseline: every send read through the store's per-row conversion (no bulk parsing)."""
    store.list_sends(limit=None)


def bench_page(database_url: str, sandbox_url: str, tmp: Path) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import ui
    from lib.runtime import ConsoleRuntime
    from lib.settings import load_settings

    settings = load_settings(
        env={"MESSAGING_API_URL": sandbox_url, "MESSAGING_API_USER": "demo", "MESSAGING_API_PASSWORD": "demo",
             "DATABASE_URL": database_url, "CONSOLE_TIMEZONE": TZ_NAME, "CONSOLE_AUTH": "off"},
        secrets_path=tmp / "none.toml",
    )
    store = open_store(database_url)
    client = MessagingClient(sandbox_url, "demo", "demo")
    rt = ConsoleRuntime(settings, sandbox_url, store, client)
    ui.get_runtime = lambda: rt
    page = AppTest.from_file(str(ROOT / "pages" / "dispatches.py"), default_timeout=60)
    page.run()  # first run: imports and caches
    if page.exception:
        raise SystemExit(f"the page failed: {page.exception}")
    sends = next(m.value for m in page.metric if m.label == "Sends")

    def cold_run() -> None:
        st.cache_resource.clear()  # as after a send or a status change: everything re-read and redrawn
        page.run()

    cold_s = median_seconds(cold_run)
    warm_s = median_seconds(page.run)
    lib_s = median_seconds(lambda: lib_calls(store, settings.tz))
    naive_s = median_seconds(lambda: naive_read(store), repeat=3)
    print(f"Dispatches page script (AppTest, {sends} sends in the default 30-day period; target <= 1 s):")
    print(f"  after the data changed (history re-read, charts rebuilt): {cold_s:.3f} s per run")
    print(f"  rerun with unchanged data (a click, a background tick): {warm_s:.3f} s per run")
    print(f"  lib calls a changed-data run makes (load, KPIs, table, chart frames, live panel, export): {lib_s:.3f} s")
    print(f"  naive baseline: reading the sends alone row by row (HistoryStore.list_sends): {naive_s:.3f} s")


def bench_refresh(database_url: str, sandbox, pending: int) -> None:
    store = open_store(database_url)
    client = MessagingClient(sandbox.url, "demo", "demo")
    sandbox.set_knobs(step_seconds=3600)  # stay Draft: every round has all of them to ask about
    now = datetime.now(UTC)
    rows = []
    for i in range(pending):
        result = client.send_messages(71, [Recipient(unique_id=f"B{i}", mobile_phone="6936862208")])
        rows.append(
            {"platform": "sandbox", "dispatch_id": result.dispatch, "send_id": None, "template_id": 71, "message_type_id": 1,
             "total_recipients": 1, "send_status_id": 1, "is_final": False, "first_seen_at": now, "created_at": now}
        )
    with store.write() as conn:
        conn.execute(insert(s.dispatches), rows)
    # Only the bench's own dispatches are pending (the seeded ones that are not final are marked final here).
    with store.write() as conn:
        conn.execute(
            s.dispatches.update()
            .where(s.dispatches.c.dispatch_id.not_in([r["dispatch_id"] for r in rows]))
            .values(is_final=True)
        )
    timings = {}
    for label, workers in (("naive sequential (1 request at a time)", 1), ("bounded pool, 8 workers", 8),
                           ("bounded pool, 16 workers", 16)):
        started = time.perf_counter()
        report = refresh_pending(store, client, only_due=False, workers=workers)
        timings[label] = time.perf_counter() - started
        assert report.ok and report.asked == pending, report.summary()
    print(f"Status refresh of {pending} pending dispatches against the sandbox (target <= 5 s):")
    for label, seconds in timings.items():
        print(f"  {label}: {seconds:.3f} s ({pending / seconds:.0f} dispatches/s)")


def main() -> int:
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--snapshots", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        tmp = Path(work)
        database_url = f"sqlite:///{tmp / 'history.db'}"
        store = open_store(database_url)
        started = time.perf_counter()
        seed(store, args.sends, args.snapshots, datetime.now(UTC))
        print(
            f"Seeded {args.sends:,} sends, {2 * args.sends:,} chunks, {2 * args.sends:,} dispatches, "
            f"{args.snapshots:,} snapshots in {time.perf_counter() - started:.1f} s"
        )
        config = SandboxConfig(port=0, user="demo", password="demo", data_dir=tmp / "sandbox", step_seconds=3600)
        with run_sandbox_in_thread(config) as sandbox:
            bench_page(database_url, sandbox.url, tmp)
            bench_refresh(database_url, sandbox, args.pending)
        close_all_stores()
    return 0


if __name__ == "__main__":
    sys.exit(main())
