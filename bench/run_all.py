"""Run every benchmark in turn and print its figures: `make bench` (or `python bench/run_all.py --quick`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, full arguments, quick arguments)
BENCHES = [
    ("recipients_bench.py", [], ["--quick"]),
    ("segments_bench.py", [], ["--rows", "100000"]),
    ("send_bench.py", [], ["--n", "20000", "--post", "10000"]),
    ("dispatches_bench.py", [], ["--sends", "1000", "--snapshots", "10000", "--pending", "50"]),
    ("dispatches_browser_bench.py", [], ["--quick"]),
    ("compose_bench.py", [], ["--rows", "20000"]),
    ("bench_sandbox.py", [], []),
    ("ledger_bench.py", [], ["--rows", "50000", "--ledger", "250000", "--optouts", "5000", "--sample", "1000"]),
    ("hostile_files_bench.py", [], ["--rows", "20000"]),
    ("audit_table_bench.py", [], []),
    ("worker_bench.py", [], ["--quick"]),
    ("compose_result_bench.py", [], ["--recipients", "100000"]),
    ("consent_bench.py", [], ["--rows", "100000"]),
]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    failed = []
    for script, full, short in BENCHES:
        args = short if quick else full
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE.parent)
        print(f"=== {script}: exit {code} after {time.perf_counter() - started:.1f} s", flush=True)
        if code:
            failed.append(script)
    if failed:
        print(f"\nFailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
