"""Hostile recipient files next to a normal one: time and peak memory of the Compose page's read.

    .venv/bin/python bench/hostile_files_bench.py [--rows 100000] [--no-naive]

Each read runs in its own process (peak memory is that process's max RSS, imports included) capped at
4 GB of address space. "ours" is the page's reading step: list_sheets, then read_table (validation of
mobiles and emails, the same for every reader, is left out). The naive
baseline, in the same run, is the read without the checks: calamine (or pyarrow for CSV) straight on the
bytes, capped at 2 GB so that the crash it ends in does not take the machine's memory. For the normal
workbook our reader without the pre-check ("unchecked") and the pre-check alone ("precheck") are printed
too: the pre-check is the price every workbook pays.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.recipients_generate import generate_rows, to_xlsx  # noqa: E402
from tests import hostile_files  # noqa: E402

_CHILD = """
import io, json, resource, sys, time
cap_gb, mode, path = float(sys.argv[1]), sys.argv[2], sys.argv[3]
resource.setrlimit(resource.RLIMIT_AS, (int(cap_gb * 1024**3), int(cap_gb * 1024**3)))
data = open(path, "rb").read()
from lib.recipients import RecipientFileError, list_sheets  # imports are not timed
from lib.recipients.reading import read_table
from lib.settings import Settings
started = time.perf_counter()
if mode == "unchecked":  # our reader with the pre-check switched off: what the check costs
    import lib.recipients.reading as reading
    reading.check_archive = lambda archive, limits: None
    mode = "ours"
if mode == "ours":
    try:
        list_sheets(data, path)
        rows = len(read_table(data, path, max_text_bytes=Settings().max_file_text_bytes).data)
        outcome = f"read {rows:,} rows"
    except RecipientFileError as exc:
        outcome = "refused: " + str(exc)
elif mode == "precheck":
    import zipfile
    from lib.recipients.limits import ReadLimits, check_archive
    check_archive(zipfile.ZipFile(io.BytesIO(data)), ReadLimits.from_megabytes(256))
    outcome = "measured"
elif path.endswith(".csv"):
    import pyarrow.csv as pacsv
    outcome = f"read {pacsv.read_csv(io.BytesIO(data)).num_rows:,} rows"
else:
    import python_calamine
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    outcome = f"read {len(book.get_sheet_by_index(0).to_python(skip_empty_area=False)):,} rows"
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent (this bench) across exec.
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak}))
"""


def run(mode: str, path: Path, cap_gb: float) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(cap_gb), mode, str(path)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1][:70]
        return {"outcome": f"DIED (exit {done.returncode}): {last}", "seconds": time.perf_counter() - started,
                "peak_mb": float("nan")}  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(label: str, name: str, size: int, result: dict) -> str:
    return (
        f"{name:<26} {size / 1024:>9,.0f} KB  {label:<9} {result['seconds']:>7.2f} s {result['peak_mb']:>8,.0f} MB"
        f"  {result['outcome'][:90]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the normal workbook")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline (it crashes by design)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        files: list[tuple[str, Path]] = []
        headers, table = generate_rows(args.rows)
        normal = Path(folder) / f"normal_{args.rows // 1000}k.xlsx"
        normal.write_bytes(to_xlsx(headers, table))
        files.append((normal.name, normal))
        for name, make in hostile_files.HOSTILE.items():
            path = Path(folder) / name
            path.write_bytes(make())
            files.append((name, path))

        print(f"{'file':<26} {'on disk':>12}  {'read':<9} {'time':>9} {'peak':>11}  outcome")
        for name, path in files:
            size = path.stat().st_size
            print(line("ours", name, size, run("ours", path, 4)), flush=True)
            if path == normal:
                print(line("unchecked", name, size, run("unchecked", path, 4)), flush=True)
                print(line("precheck", name, size, run("precheck", path, 4)), flush=True)
            if not args.no_naive:
                print(line("naive", name, size, run("naive", path, 2)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
