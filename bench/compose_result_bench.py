"""Compose's result panel for a stopped 1M-recipient send: what one rerun of the panel asks of lib.

A send of N recipients (default 1,000,000) in chunks of CONSOLE_BATCH_SIZE (1,000) stopped part-way:
the first tenth of its chunks accepted (some recipients refused one by one), one chunk unknown, the
rest pending. Prints, in the same run:
- the panel's rerun: `engine.progress(send_id)` (counts and parts from the store, no recipient read)
  and the live-worker check (target: under 50 ms);
- the first page of who may or may not have it (`engine.recipients(..., limit=1000)`), read only on demand;
- the baseline: today's full `engine.outcome(send_id)`, which reads every recipient not accepted.
Run: .venv/bin/python bench/compose_result_bench.py [--recipients 1000000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.history.store import NewRecipient, close_all_stores, open_store  # noqa: E402
from lib.sending.engine import WORKER_LIVE_WITHIN, SendEngine  # noqa: E402
from lib.sending.status import ChunkStatus  # noqa: E402

TARGET_MS = 50.0


def stopped_send(store, n: int, batch: int) -> int:
    payload = (("voucherCode", "SPRING19"), ("voucherAmount", "10 €"), ("expirationDate", "31/12/2026"))
    chunks = [
        [NewRecipient(f"C{i:07d}", i + 2, f"+3069{10_000_000 + i:08d}", None, payload)
         for i in range(start, min(start + batch, n))]
        for start in range(0, n, batch)
    ]  # fmt: skip
    send_id = store.create_send(
        manifest_hash="bench", claim="bench", template_id=71, template_name="Promo", channel="sms", schedule_at=None,
        created_by="bench", platform_url="http://bench", is_sandbox=True, is_test=False, resend_of=None,
        excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=batch, chunks=chunks,
    )  # fmt: skip
    records = store.get_send(send_id).chunks
    accepted = max(1, len(records) // 10)
    refused = json.dumps({"invalidEmails": [], "invalidMobiles": [{"uniqueId": "C0000001", "mobile": "+3069"}]})
    for i, chunk in enumerate(records[: accepted + 1]):
        store.move_chunk(chunk.id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING)
        if i < accepted:
            store.move_chunk(
                chunk.id, expected=ChunkStatus.POSTING, new=ChunkStatus.ACCEPTED, dispatch_id=180000 + i,
                total_recipients_sent=chunk.recipient_count - (i == 0), invalid_recipients=int(i == 0),
                invalid_json=refused if i == 0 else None,
            )  # fmt: skip
        else:
            store.move_chunk(chunk.id, expected=ChunkStatus.POSTING, new=ChunkStatus.UNKNOWN, error_message="timeout")
    return send_id


def timed_ms(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        send_id = stopped_send(store, args.recipients, args.batch)
        print(f"Stopped send of {args.recipients:,} recipients in chunks of {args.batch:,} "
              f"(recorded in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        engine = SendEngine(store, None, batch_size=args.batch, platform_url="http://bench", is_sandbox=True,
                            operator="bench")  # fmt: skip

        def rerun():
            progress = engine.progress(send_id)
            store.live_workers(WORKER_LIVE_WITHIN, platform=engine.platform)
            return progress

        panel_ms, progress = timed_ms(rerun, args.runs)
        first_page_ms, page = timed_ms(lambda: engine.recipients(send_id, "uncertain", 1000), 5)
        naive_ms, outcome = timed_ms(lambda: engine.outcome(send_id), 3)
        assert progress.totals == outcome.totals  # the same figures, without reading anyone
        print(f"  {'result panel rerun (progress + live worker), median':<62} {panel_ms:9.1f} ms")
        print(f"  {'first 1,000 who may or may not have it (on demand), median':<62} {first_page_ms:9.1f} ms "
              f"({len(page):,} rows)")  # fmt: skip
        print(f"  {'baseline: full outcome() (every recipient not accepted), median':<62} {naive_ms:9.1f} ms "
              f"({len(outcome.uncertain_recipients) + outcome.totals.pending:,} recipients read)")  # fmt: skip
        print(f"  {'speed-up':<62} {naive_ms / panel_ms:9.0f} x")
        verdict = "OK" if panel_ms < TARGET_MS else "TOO SLOW"
        print(f"  target: a rerun under {TARGET_MS:.0f} ms: {verdict}")
        close_all_stores()
    return 0 if panel_ms < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
