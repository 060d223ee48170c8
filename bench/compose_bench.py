"""How long the Compose page takes a marketer, on a realistic list (AppTest, the real page script).

Prints the first run after an upload, reruns after a change that needs a new preview or manifest,
and a rerun after an unrelated widget — the baseline being what every rerun would cost if the page
did not keep its parsed list, preview and manifest per content hash and choices.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from recipients_generate import generate_rows, to_csv  # noqa: E402


def timed(label: str, action) -> None:
    started = time.perf_counter()
    at = action()
    assert not at.exception, at.exception
    print(f"  {label:<64} {time.perf_counter() - started:6.2f} s", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp())
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp / 'c.db'}", CONSOLE_SANDBOX_DIR=str(tmp / "sandbox"))
    from streamlit.testing.v1 import AppTest

    headers, table = generate_rows(args.rows)
    data = to_csv(headers, table)
    print(f"Compose page, {args.rows:,} recipients ({len(data) / 1e6:.1f} MB CSV), template 71, 2 CPUs")
    at = AppTest.from_file(str(ROOT / "pages" / "compose.py"), default_timeout=600).run()
    at.selectbox(key="compose_template").select_index(0).run()
    timed("upload: read, validate, preview (first run)", lambda: at.get("file_uploader")[0].upload(
        "list.csv", data, "text/csv").run())
    timed("a default for {{expirationDate}}: new preview + manifest",
          lambda: at.text_input(key="compose_default_expirationDate").input("31/12/2026").run())
    if any(t.key == "compose_gsm_greek" for t in at.toggle):
        timed("GSM-safe Greek on: new preview + manifest",
              lambda: at.toggle(key="compose_gsm_greek").set_value(True).run())
    else:  # offered only where it saves parts (issue 12)
        print("  GSM-safe Greek: not offered for this list (it would save no parts)")
    timed("schedule for tomorrow: new manifest only", lambda: at.radio(key="compose_when").set_value(
        "At a date and time").run())
    timed("typing the test address: nothing recomputed (kept per choices)",
          lambda: at.text_input(key="compose_own_address").input("6931112233").run())
    print("  " + ", ".join(f"{m.label}: {m.value}" for m in at.metric))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
