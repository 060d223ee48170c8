"""Ledger figures: the rules on a 1M-row list against 5M past recipient records and 100k opt-outs.

Prints, in one run:
- `check` (read + validate the file) without the rules, and the rules on top: the list's match keys
  (keyed SipHash in numpy, the ids on a second thread, as `check` and the page do; for comparison
  the same keys through pandas' hash_array as they were made before, the HMAC-SHA-256 the rules
  joined on before that, and the naive hmac.digest per value) and the three queries with their joins;
- the whole `python -m lib check --template 71 --json` command on this store and on an empty one, each in
  a new process (the file read, the rules, their 300k sentences and the JSON): what a marketer waits for;
- the naive baseline: one SQL lookup per row and rule (with indexes on the keys, built untimed) on
  a 10k-row sample, extrapolated to the list;
- the ledger write of a 1M send: the list's HMAC keys (made when the send is recorded, not at the
  check) plus the ledger writer's time inside the send's transaction; recording with and without it.
The past: 25 sends of `ledger/25` people over 100 days across 5 marketing SMS templates, two of them
of this template within the 30-day window, five in the last 7 days (frequency cap 3/7d).
Run: .venv/bin/python bench/ledger_bench.py [--rows 1000000] [--ledger 5000000] [--optouts 100000]
"""

from __future__ import annotations

import argparse
import hmac
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from lib.history import schema as s  # noqa: E402
from lib.history.store import NewRecipient, close_all_stores, open_store, utcnow  # noqa: E402
from lib.ledger import Ledger  # noqa: E402
from lib.ledger.keys import uid_texts  # noqa: E402
from lib.ledger.rules import Rule  # noqa: E402
from lib.recipients import clear_cache, load_recipient_list  # noqa: E402
from lib.settings import load_settings  # noqa: E402
from lib.templates import Channel, load_catalog, template_tags  # noqa: E402

PROMO = next(t for t in load_catalog() if t.id == 71)
SENDS = 25
# (template, days ago) per past send: 71 twice inside 30 days; five sends in the last 7 days
PAST = [(71, 3), (71, 20)] + [(72 + i % 4, d) for i, d in enumerate([1, 2, 5, 6, *range(9, 100, 5)])]


def timed(label: str, fn, note: str = ""):
    """Wall time, printed with the CPU time it took (this process and any child it forked): on a
    shared machine the wall time is the target's figure, the CPU time says how much was waiting."""
    started, before = time.perf_counter(), os.times()
    result = fn()
    elapsed, after = time.perf_counter() - started, os.times()
    cpu = sum(after[:4]) - sum(before[:4])
    print(f"  {label:<62} {elapsed:8.3f} s (cpu {cpu:.3f} s) {note}", flush=True)
    return result, elapsed


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def population(n: int) -> tuple[np.ndarray, np.ndarray]:
    mobiles = np.array([f"+3069{10_000_000 + i:08d}" for i in range(n)], dtype=object)
    ids = np.array([f"C{i:07d}" for i in range(n)], dtype=object)
    return mobiles, ids


def fill_ledger(store, ledger: Ledger, mobiles, ids, records: int, rng) -> None:
    """`records` past ledger entries in SENDS sends (chunks of 1000, all accepted), written directly."""
    dest = ledger.keys.keys(pd.Series(mobiles))
    uid = ledger.keys.keys(uid_texts(pd.Series(ids)))
    dest_match = np.column_stack(ledger.keys.match.keys(pd.Series(mobiles))).astype("<i8")
    uid_match = np.column_stack(ledger.keys.match.keys(uid_texts(pd.Series(ids)))).astype("<i8")
    per_send = records // SENDS
    now = utcnow()
    with store.write() as conn:
        for n, (template_id, days) in enumerate(PAST[:SENDS], start=1):
            at = now - timedelta(days=days)
            conn.execute(insert(s.sends).values(
                id=n, manifest_hash=f"h{n}", claim=f"h{n}", platform="sandbox", template_id=template_id, template_name="t", channel="sms",
                created_at=at, created_by="bench", platform_url="x", is_sandbox=True, is_test=False,
                total_recipients=per_send, excluded_recipients=0, batch_size=1000))
            chunk_count = -(-per_send // 1000)
            conn.execute(insert(s.chunks), [
                {"send_id": n, "seq": q, "status": "accepted", "recipient_count": 1000, "attempts": 1, "updated_at": at}
                for q in range(1, chunk_count + 1)])
            first_chunk = conn.exec_driver_sql("SELECT min(id) FROM chunks WHERE send_id = ?", (n,)).scalar()
            who = rng.choice(len(mobiles), size=per_send, replace=False)
            conn.execute(insert(s.ledger_sends).values(send_id=n, is_marketing=True))
            packed = []
            for q in range(chunk_count):
                part = who[q * 1000:(q + 1) * 1000]
                packed.append({"send_id": n, "chunk_id": first_chunk + q, "left_out": None, "members": len(part),
                               "row_numbers": (np.arange(len(part)) + 2).astype("<i8").tobytes(),
                               "dest_keys": dest[part].astype("<i8").tobytes(),
                               "uid_keys": uid[part].astype("<i8").tobytes(),
                               "dest_match": dest_match[part].tobytes(), "uid_match": uid_match[part].tobytes()})
            conn.execute(insert(s.ledger_chunks), packed)
            # The naive baseline's own storage: one row per person, with indexes on both keys.
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS naive_ledger (send_id INTEGER, chunk_id INTEGER, "
                                 "dest_key BIGINT, uid_key BIGINT)")
            conn.exec_driver_sql("INSERT INTO naive_ledger VALUES (?,?,?,?)", list(zip(
                [n] * per_send, (first_chunk + np.arange(per_send) // 1000).tolist(), dest[who].tolist(),
                uid[who].tolist(), strict=True)))
        conn.exec_driver_sql("CREATE INDEX naive_dest ON naive_ledger (dest_key)")
        conn.exec_driver_sql("CREATE INDEX naive_uid ON naive_ledger (uid_key)")


def fill_optouts(store, ledger: Ledger, mobiles, count: int, rng) -> None:
    picked = mobiles[rng.choice(len(mobiles), size=count, replace=False)]
    keys = ledger.keys.keys(pd.Series(picked))
    first, second = ledger.keys.match.keys(pd.Series(picked))
    now = utcnow()
    with store.write() as conn:
        conn.execute(insert(s.do_not_contact), [
            {"channel": "both", "kind": "mobile", "value": v, "key": int(k), "match1": int(m1), "match2": int(m2),
             "reason": "STOP", "source": "bench", "added_by": "bench", "added_at": now}
            for v, k, m1, m2 in zip(picked.tolist(), keys.tolist(), first.tolist(), second.tolist(), strict=True)])


def list_csv(mobiles, ids, rows: int, rng) -> bytes:
    who = rng.choice(len(mobiles), size=rows, replace=False)
    frame = pd.DataFrame({"customer id": ids[who], "mobile": [m[3:] for m in mobiles[who]],  # written 69…
                          "voucherCode": "V1", "voucherAmount": "10 €", "expirationDate": "31/12/2026"})
    return frame.to_csv(index=False, sep=";").encode("utf-8")


def pandas_keys(match, valid: pd.DataFrame) -> list:
    """The match keys the way they were made before lib.ledger.siphash: each column as Python objects
    through pandas' C SipHash, once per key (the same values)."""
    texts = [valid["mobilePhone"].to_numpy(dtype=object), uid_texts(valid["uniqueId"]).to_numpy(dtype=object)]
    return [pd.util.hash_array(t, encoding="utf8", hash_key=k.decode(), categorize=False)
            for t in texts for k in match._hash_keys]


def naive(store, people: pd.DataFrame, ctx, sample: int) -> float:
    """One query per row and rule, as a first implementation would, on its own per-person table with
    indexes on both keys (built during setup, untimed)."""
    since = s.sends.c.created_at.type.bind_processor(store.engine.dialect)(ctx.now - timedelta(days=30))
    week = s.sends.c.created_at.type.bind_processor(store.engine.dialect)(ctx.now - timedelta(days=7))
    rows = people.head(sample)
    counted = ("FROM naive_ledger l JOIN chunks c ON c.id = l.chunk_id JOIN sends s ON s.id = l.send_id "
               "JOIN ledger_sends m ON m.send_id = l.send_id WHERE (l.dest_key = ? OR l.uid_key = ?) AND "
               "s.channel = 'sms' AND s.created_at >= ? AND s.is_test = 0 "
               "AND c.status IN ('accepted','marked_sent','posting','unknown')")
    started = time.perf_counter()
    with store.engine.connect() as conn:
        raw = conn.connection.cursor()
        for dest, uid in zip(rows["dest_key"].tolist(), rows["uid_key"].tolist(), strict=True):
            raw.execute("SELECT 1 FROM do_not_contact WHERE removed_at IS NULL AND key IN (?, ?) LIMIT 1", (dest, uid))
            raw.fetchall()
            raw.execute(f"SELECT max(l.send_id) {counted} AND s.template_id = 71", (dest, uid, since))
            raw.fetchall()
            raw.execute(f"SELECT count(*) {counted} AND m.is_marketing = 1", (dest, uid, week))
            raw.fetchall()
    return time.perf_counter() - started


def command_seconds(tmp: str, data: bytes, url: str, settings, runs: int) -> tuple[float, float]:
    """Median seconds of the whole `check` command with this list, on an empty store and on `url`'s,
    run alternately (the same file, settings and output: 300k left-out rows with their sentences)."""
    path = Path(tmp) / "list.csv"
    path.write_bytes(data)
    empty_url = f"sqlite:///{tmp}/empty.db"
    open_store(empty_url)  # created and migrated, as the command would find a new installation's store
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSOLE_", "DATABASE_URL"))}
    env.update(CONSOLE_FREQUENCY_CAP="3/7d", CONSOLE_MAX_ROWS=str(settings.max_rows), CONSOLE_LANGUAGE="en")
    command = [sys.executable, "-m", "lib", "check", str(path), "--channel", "sms", "--template", "71", "--json"]
    seconds: dict[str, list[float]] = {empty_url: [], url: []}
    for _ in range(runs):
        for where in seconds:
            started = time.perf_counter()
            done = subprocess.run(command, env={**env, "DATABASE_URL": where}, cwd=ROOT, capture_output=True)
            seconds[where].append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"check failed: {done.stderr.decode()[-500:]}")
    return statistics.median(seconds[empty_url]), statistics.median(seconds[url])


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--ledger", type=int, default=5_000_000)
    p.add_argument("--optouts", type=int, default=100_000)
    p.add_argument("--sample", type=int, default=10_000)
    p.add_argument("--commands", type=int, default=3, help="runs of the whole `check` command per store")
    args = p.parse_args(argv)
    rng = np.random.default_rng(9)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        settings = load_settings(env={"DATABASE_URL": url, "CONSOLE_FREQUENCY_CAP": "3/7d",
                                      "CONSOLE_MAX_ROWS": str(max(args.rows, 1_000_000))},
                                 secrets_path=Path("/nonexistent"))
        store = open_store(url)
        ledger = Ledger(store, settings)
        mobiles, ids = population(max(args.rows * 3 // 2, args.ledger // SENDS + 1, args.optouts))
        print(f"Setting up: {len(mobiles):,} people, {args.ledger:,} ledger records, {args.optouts:,} opt-outs…",
              flush=True)
        fill_ledger(store, ledger, mobiles, ids, args.ledger, rng)
        fill_optouts(store, ledger, mobiles, args.optouts, rng)
        data = list_csv(mobiles, ids, args.rows, rng)

        print(f"\ncheck of a {args.rows:,}-row list ({load()})")
        clear_cache()
        recipients, plain = timed("check without the rules (read + validate)", lambda: load_recipient_list(
            data, "list.csv", channel=Channel.SMS, template_tags=template_tags(PROMO), settings=settings))
        valid = recipients.valid_frame()
        ctx = ledger.context(71, "sms", True)
        clear_cache()
        ahead = Ledger(store, settings)
        ahead.read_ahead(71, "sms", True)  # as `check` does before reading the file
        timed("check, the rules' entries read ahead meanwhile (read + validate)", lambda: load_recipient_list(
            data, "list.csv", channel=Channel.SMS, template_tags=template_tags(PROMO), settings=settings))
        (people, verdict), first = timed(
            "rules, first check in this process (as `check` runs them)", lambda: ahead.check_list(
                valid, "sms", "mobilePhone", ahead.context(71, "sms", True)),
            "(match keys; opt-outs read meanwhile; joins)")
        timed("  the same without reading ahead (a new Ledger)", lambda: ledger.check_list(
            valid, "sms", "mobilePhone", ctx), "(recent sends read and grouped here)")
        _, hashing = timed("  of which the list's match keys alone (2 keyed SipHash a value)",
                           lambda: ledger.people(valid, "sms", "mobilePhone"), "(numpy from arrow; ids on a second thread)")
        import lib.ledger.keys as key_module

        _, pandas_hashing = timed("  the same keys as before: pd.util.hash_array, one thread", lambda: pandas_keys(
            ledger.keys.match, valid), "(a Python object a value)")
        _, hmac_hashing = timed("  for comparison: the list's HMAC-SHA-256 keys (2 processes)",
                                lambda: ledger.with_hmac(people), "(made after the send is recorded)")
        texts = valid["mobilePhone"].tolist() + uid_texts(valid["uniqueId"]).tolist()
        secret = key_module.installation_secret(store)
        _, naive_hashing = timed("  naive hashing: hmac.digest per value, one process", lambda: [
            hmac.digest(secret, text.encode(), "sha256")[:8] for text in texts])
        _, queries = timed("rules: queries + joins, next check of the same list (the page)",
                           lambda: ledger.check(people, ctx), "(statuses and opt-outs read fresh)")
        _, later = timed("rules, a new list checked later in the same process", lambda: ledger.check_list(
            valid, "sms", "mobilePhone", ctx), "(the window's grouped keys kept)")
        print("  breakdown of a first check, each step alone (a new Ledger: nothing kept from the checks above)")
        fresh = Ledger(store, settings)
        timed("    the list's match keys (two threads)", lambda: fresh.people(valid, "sms", "mobilePhone"))
        listed, _ = timed("    the do-not-contact list read", lambda: fresh.opt_out_matches("sms"))
        window, _ = timed("    the window's entries read and grouped by key (two threads)",
                          lambda: fresh._window(ctx, ctx.frequency_cap))
        timed("    the joins and the rules' results (two threads)", lambda: fresh._check_matched(
            people, ctx, (), Rule.OPTED_OUT, (listed, window)))
        counts = verdict.counts(False)
        print(f"  left out: {counts}")
        print(f"  => the rules add {first:.3f} s to a first `check` in a fresh process (without: {plain:.3f} s), "
              f"{later:.3f} s to a later new list, {queries:.3f} s to a later check of the same list; "
              f"target ≤ 1 s: {'met' if first <= 1 else 'NOT met'} (first), {'met' if later <= 1 else 'NOT met'} "
              f"(later new list); match keys alone {hashing:.3f} s (pandas' hash_array {pandas_hashing:.3f} s); "
              f"HMAC keys {hmac_hashing:.3f} s, naive hmac.digest {naive_hashing:.3f} s")

        print(f"\n`python -m lib check --template 71 --json` on the same list, end to end in a new process ({load()})")
        empty, full = command_seconds(tmp, data, url, settings, args.commands)
        print(f"  on an empty store (no past sends, no opt-outs): {empty:.3f} s; on this store: {full:.3f} s "
              f"(medians of {args.commands})")
        print(f"  => the rules add {full - empty:.3f} s to `python -m lib check`; target ≤ 1 s: "
              f"{'met' if full - empty <= 1 else 'NOT met'}")

        sample = min(args.sample, len(people))
        elapsed = naive(store, ledger.with_hmac(people.head(sample)), ctx, sample)  # its table holds HMAC keys
        print(f"  naive per-row SQL (3 queries a row), {sample:,} rows: {elapsed:.3f} s -> "
              f"{elapsed * len(people) / sample:,.0f} s extrapolated to {len(people):,} rows "
              f"(vs {queries:.3f} s vectorised)")

        print(f"\nledger write for a {args.rows:,}-recipient send ({load()})")
        members = [NewRecipient(u, r, d, None, ()) for r, u, d in
                   zip(valid.index.tolist(), valid["uniqueId"].tolist(), valid["mobilePhone"].tolist(), strict=True)]
        chunks = [members[i: i + 1000] for i in range(0, len(members), 1000)]

        def record(n: int):
            return store.create_send(
                manifest_hash=f"w{n}", claim=f"w{n}", template_id=71, template_name="t", channel="sms",
                schedule_at=None, created_by="bench", platform_url="x", is_sandbox=True, is_test=False,
                resend_of=None, excluded_recipients=0, estimated_parts=None, estimated_cost=None, batch_size=1000,
                chunks=chunks)

        _, without = timed("record the send, no ledger", lambda: record(1))
        ledger.install()
        writer, spent = store.send_writers["ledger"], []

        def timed_writer(*args):  # the writer's own time, inside the send's transaction
            started = time.perf_counter()
            writer(*args)
            spent.append(time.perf_counter() - started)

        store.send_writers["ledger"] = timed_writer
        timed(f"(stage a check that left {len(verdict.left_out):,} rows out: their HMAC keys are made here)",
              lambda: ledger.stage("w0", verdict.left_out, people, include_already_received=None, marketing=True),
              "(they never reach a chunk: nothing could key them later)")
        _, staging = timed("stage the check's verdict: every row a member", lambda: ledger.stage(
            "w2", verdict.left_out.iloc[:0], people, include_already_received=None, marketing=True))
        sent, with_ledger = timed("record the send, with the ledger writer (keys staged)", lambda: record(2))
        write = staging + spent[0]
        print(f"  => the ledger write takes {write:.3f} s ({staging:.3f} s staging + {spent[0]:.3f} s "
              f"inside the send's transaction; difference of the two recordings: {with_ledger - without:.3f} s); "
              f"target ≤ 2 s: {'met' if write <= 2 else 'NOT met'}")
        _, completing = timed("afterwards, an idle worker: the members' HMAC keys from the chunks' recipients",
                              ledger.complete_keys, "(not part of the send: Ledger.complete_keys)")

        print("\nthe gate, right before a chunk's POST (1,000 members of that send, the same ledger)")
        from lib.ledger.gate import LedgerGate

        gate, detail = LedgerGate(ledger), store.get_send(sent)
        for label, chunk in (("admit the first chunk", detail.chunks[0]), ("admit the next chunk", detail.chunks[1])):
            members = store.chunk_recipients(chunk.id)
            _, per_chunk = timed(label, lambda: gate.admit(detail.send, chunk, members))  # noqa: B023
        print(f"  => about {per_chunk * len(detail.chunks):.1f} s of gate checks over the {len(detail.chunks):,} "
              "chunks of the send")

        print("\nthe same check against a ledger written before match keys (revision 0012): HMAC keys only")
        with store.write() as conn:
            conn.execute(s.ledger_chunks.update().values(dest_match=None, uid_match=None))
            conn.execute(s.do_not_contact.update().values(match1=None, match2=None))
        old = Ledger(store, settings)
        again, fallback = timed("rules: queries + joins, first check, the list's HMAC keys made here",
                                lambda: old.check(people, old.context(71, "sms", True, now=ctx.now)))
        same = again.left_out.equals(verdict.left_out)
        print(f"  => {fallback:.3f} s until those sends leave the {settings.repeat_days}-day window; "
              f"the same people left out: {'yes' if same else 'NO'} ({load()})")
        close_all_stores()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
