"""Recipient lists, bytes in -> validated list out, next to a naive per-row library loop.

    .venv/bin/python bench/recipients_bench.py            # CSV 100k and 1M, Excel-damaged CSV 100k, XLSX 100k
    .venv/bin/python bench/recipients_bench.py --quick    # CSV 100k only

Each of our runs happens in a fresh process (imports done first, then timed from file bytes to
RecipientList, best of --repeat), so its peak memory (VmHWM: interpreter, libraries and file bytes
included) is that run's alone. The naive baseline reads the same file with the csv module and calls phonenumbers
and email-validator on every row; for the 1M file it runs on the first 200k rows and its time is scaled
up (marked "est."). Verdicts are compared row by row on every row the baseline saw (at least 100k):
the same E.164 number or none, and the same normalised email or none.
Targets (issue 3, 2-core machine): CSV 100k <= 0.5 s, 1M <= 5 s and <= 1 GB, XLSX 100k <= 2 s, >= 10x naive.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGETS = {"csv 100k": 0.5, "csv 1M": 5.0, "xlsx 100k": 2.0, "csv 100k excel-damaged": 0.5}
NAIVE_SAMPLE = 200_000


def child(path: str, repeat: int) -> None:
    """Runs in its own process: time load_recipient_list and report JSON with the verdicts."""
    from lib.recipients import clear_cache, load_recipient_list
    from lib.settings import Settings
    from lib.templates import Channel

    data = Path(path).read_bytes()
    import email_validator  # noqa: F401  (imports are not the list's cost)
    import phonenumbers

    phonenumbers.parse("6936862208", "GR")
    best = float("inf")
    result = None
    for _ in range(repeat):
        clear_cache()
        result = None  # the previous run's list must not count toward this run's peak
        start = time.perf_counter()
        result = load_recipient_list(data, Path(path).name, channel=Channel.SMS, settings=Settings())
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    again = load_recipient_list(data, Path(path).name, channel=Channel.SMS, settings=Settings())
    cached = time.perf_counter() - start
    assert again is result
    peak_mb = _peak_mb()
    frame = result.frame.head(NAIVE_SAMPLE)
    out = {
        "seconds": best,
        "cached_seconds": cached,
        "peak_mb": peak_mb,
        "rows": result.row_count,
        "valid": result.valid_count,
        "mobile": [None if v != v else v for v in frame["mobilePhone"].tolist()],
        "email": [None if v != v else v for v in frame["email"].tolist()],
    }
    sys.stdout.write(json.dumps(out))


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss would include the
    parent's peak (it survives fork + exec on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive(path: Path, limit: int | None) -> tuple[float, list[str | None], list[str | None], int]:
    """The obvious loop: csv module, then phonenumbers and email-validator per row."""
    import phonenumbers
    from email_validator import EmailNotValidError, validate_email

    from lib.recipients.mobiles import excel_repair

    start = time.perf_counter()
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    m_col, e_col = header.index("mobile"), header.index("email")
    mobiles: list[str | None] = []
    emails: list[str | None] = []
    for n, row in enumerate(reader):
        if limit is not None and n >= limit:
            break
        raw = row[m_col].strip()
        digits, code = excel_repair(raw)
        e164 = None
        if raw and code != "mobile.excel_digits_lost":
            try:
                number = phonenumbers.parse(digits or raw, "GR")
                if (
                    phonenumbers.is_valid_number(number)
                    and phonenumbers.region_code_for_number(number) == "GR"
                    and phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
                ):
                    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                pass
        mobiles.append(e164)
        address = row[e_col].strip()
        normalized = None
        if address:
            with contextlib.suppress(EmailNotValidError):
                normalized = validate_email(address, check_deliverability=False).normalized
        emails.append(normalized)
    return time.perf_counter() - start, mobiles, emails, len(mobiles)


def run_ours(path: Path, repeat: int) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(completed.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CSV 100k only")
    parser.add_argument("--repeat", type=int, default=2, help="our runs per file; the best counts")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.repeat)
        return 0

    from recipients_generate import generate_rows, to_csv, to_xlsx

    cases = [("csv 100k", 100_000, "csv", False)]
    if not args.quick:
        cases += [("csv 1M", 1_000_000, "csv", False), ("csv 100k excel-damaged", 100_000, "csv", True), ("xlsx 100k", 100_000, "xlsx", False)]
    print(f"recipients bench: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    header = f"{'file':<24}{'rows':>10}{'ours s':>9}{'target':>10}{'cached s':>10}{'peak MB':>9}{'naive s':>13}{'speed-up':>10}{'mismatches':>16}"
    lines = [header, "-" * len(header)]
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="recipients-bench-") as tmp:
        for name, rows, kind, damaged in cases:
            headers, table = generate_rows(rows, seed=7, excel_damaged=damaged)
            path = Path(tmp) / f"list-{rows}.{kind}"
            path.write_bytes(to_xlsx(headers, table) if kind == "xlsx" else to_csv(headers, table))
            csv_twin = path if kind == "csv" else Path(tmp) / f"twin-{rows}.csv"
            if kind != "csv":
                csv_twin.write_bytes(to_csv(headers, table))
            del table
            ours = run_ours(path, args.repeat)
            limit = NAIVE_SAMPLE if rows > NAIVE_SAMPLE else None
            naive_seconds, mobiles, emails, seen = naive(csv_twin, limit)
            estimated = naive_seconds * rows / seen
            mismatches = sum(a != b for a, b in zip(ours["mobile"], mobiles, strict=False)) + sum(
                a != b for a, b in zip(ours["email"], emails, strict=False)
            )
            target = TARGETS[name]
            verdict = "ok" if ours["seconds"] <= target else "SLOW"
            naive_text = f"{estimated:.2f}{' est.' if limit else ''}"
            line = (
                f"{name:<24}{ours['rows']:>10,}{ours['seconds']:>9.3f}{f'{target:g} {verdict}':>10}{ours['cached_seconds']:>10.4f}"
                f"{ours['peak_mb']:>9.0f}{naive_text:>13}{estimated / ours['seconds']:>9.1f}x"
                f"{f'{mismatches} / {seen:,}':>16}"
            )
            lines.append(line)
            print(line, flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at end; peak MB is the whole process (Python, pandas, pyarrow included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
