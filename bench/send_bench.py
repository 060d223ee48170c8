"""Send engine figures: manifest building, recording a send, and chunked POSTs vs one giant POST.

Prints, for N recipients (default 100,000; `--n 1000000` for the full-size list):
- build_manifest (defaults + hash) and the manifest hash alone;
- recording the send before the first POST (send, chunks, every recipient in one transaction);
- JSON serialisation of one chunk of CONSOLE_BATCH_SIZE vs the whole list as one body (size, time);
- posting the list to the sandbox in chunks vs one POST of everything (baseline), end to end.
Run: .venv/bin/python bench/send_bench.py [--n 100000] [--batch 10000] [--post 50000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from lib.history.store import close_all_stores, open_store  # noqa: E402
from lib.messaging.client import MessagingClient  # noqa: E402
from lib.messaging.models import Recipient  # noqa: E402
from lib.sandbox.server import SandboxConfig, run_sandbox_in_thread  # noqa: E402
from lib.sending.engine import SendEngine  # noqa: E402
from lib.sending.manifest import build_manifest, manifest_hash  # noqa: E402
from lib.templates import load_catalog  # noqa: E402

PROMO = next(t for t in load_catalog() if t.id == 71)


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uniqueId": [f"C{i}" for i in range(n)],
            "mobilePhone": [f"+3069{10_000_000 + i % 89_999_999:08d}" for i in range(n)],
            "cardNumber": [None] * n,
            "payload.voucherCode": [f"SPRING{i % 997}" for i in range(n)],
            "payload.voucherAmount": ["" if i % 10 == 0 else "100 €" for i in range(n)],  # 10% take the default
            "payload.expirationDate": ["28/09/2026"] * n,
        },
        index=pd.RangeIndex(2, n + 2, name="row"),
        dtype="str",
    )


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"  {label:<58} {time.perf_counter() - started:8.3f} s")
    return result


def body(recipients) -> bytes:
    payload = {"templateId": 71, "recipients": [Recipient(r.unique_id, mobile_phone=r.destination,
                                                          payload=dict(r.payload)).to_json() for r in recipients]}  # fmt: skip
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--post", type=int, default=50_000, help="recipients to actually POST to the sandbox")
    args = parser.parse_args()
    n, batch = args.n, args.batch
    print(f"Send engine, {n:,} recipients, chunks of {batch:,}")

    df = frame(n)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    manifest = timed("build_manifest (defaults, payloads, uniqueness, hash)", lambda: build_manifest(
        PROMO, df, schedule_at=None, defaults={"voucherAmount": "50 €"}))  # fmt: skip
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    print(f"  {'  peak resident memory grew by':<58} {grown:8.0f} MB")
    timed("manifest hash alone", lambda: manifest_hash(71, None, manifest.recipients))

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        engine = SendEngine(
            store, None, batch_size=batch, platform_url="http://bench", is_sandbox=True, operator="bench"
        )
        chunks = manifest.chunks(batch)
        from lib.sending.engine import _new_recipient

        rows = [[_new_recipient(r) for r in c] for c in chunks]
        timed(f"record send + {len(chunks)} chunks + {n:,} recipients (one txn)", lambda: store.create_send(
            manifest_hash=manifest.hash, claim=manifest.hash, template_id=71, template_name="Promo", channel="sms",
            schedule_at=None, created_by="bench", platform_url="http://bench", is_sandbox=True, is_test=False,
            resend_of=None, excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=batch,
            chunks=rows))  # fmt: skip
        del engine
        close_all_stores()

    started = time.perf_counter()
    one_chunk = body(chunks[0])
    chunk_s = time.perf_counter() - started
    started = time.perf_counter()
    everything = body(manifest.recipients)
    all_s = time.perf_counter() - started
    print(f"  {'serialise one chunk':<58} {chunk_s:8.3f} s  {len(one_chunk) / 2**20:7.1f} MB")
    print(f"  {'baseline: serialise the whole list as one body':<58} {all_s:8.3f} s  {len(everything) / 2**20:7.1f} MB")
    del everything

    post_n = min(args.post, n)
    subset = build_manifest(PROMO, df.iloc[:post_n], schedule_at=None, defaults={"voucherAmount": "50 €"})
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(port=0, data_dir=Path(tmp) / "sandbox", step_seconds=0.05)
        with run_sandbox_in_thread(config) as sandbox, MessagingClient(sandbox.url, "demo", "demo",
                                                                       read_timeout=600) as client:  # fmt: skip
            store = open_store(f"sqlite:///{tmp}/send.db")
            engine = SendEngine(store, client, batch_size=batch, platform_url=sandbox.url, is_sandbox=True,
                                operator="bench")  # fmt: skip
            outcome = timed(
                f"engine.submit {post_n:,} recipients in chunks of {batch:,}", lambda: engine.submit(subset)
            )
            assert outcome.complete, outcome.headline
            giant = [Recipient(f"G{r.unique_id}", mobile_phone=r.destination, payload=dict(r.payload))
                     for r in subset.recipients]  # fmt: skip
            result = timed(f"baseline: one POST of all {post_n:,} (no record, no resume)",
                           lambda: client.send_messages(71, giant))  # fmt: skip
            assert result.total_recipients_sent == post_n
            close_all_stores()
    print("Chunks bound the body a failure can lose (one chunk, not the list) and make resume possible;")
    print("the engine's extra cost is the history writes around each POST.")


if __name__ == "__main__":
    main()
