"""The Audit page's table in Greek: 5,000 rows (the most the page shows) put into words.

Prints the time of `audit.events_table`, which names every detail key and coded value and remembers the
words it met, against a naive baseline in the same run: the same words, looked up afresh for every key and
value of every row (what the table costs without the reader's memory). Best of five runs each.
Run: .venv/bin/python bench/audit_table_bench.py
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib import audit, i18n  # noqa: E402
from lib.audit import _DetailsReader  # noqa: E402

ROWS = 5_000


def details(i: int) -> dict:
    """A submitted send's details, as record_send writes them (the trail's commonest and longest row)."""
    return {
        "awaiting_approval": i % 3 == 0, "channel": "sms", "estimated_cost": f"{0.05 * (i % 40 + 1):.2f}",
        "estimated_parts": i % 40 + 1, "include_already_received": 0, "is_sandbox": False, "left_out": i % 7,
        "left_out_by_rule": {"opted_out": i % 7} if i % 7 else {}, "manifest_hash": f"{i:064x}",
        "platform": "https://platform.example.com", "recipient_count": 1000 + i, "resend_of": None,
        "schedule_at": None if i % 2 else "2026-12-02T09:00:00+00:00", "template_id": 71 + i % 5,
        "template_name": "Προσφορά", "template_version": f"{i % 5:012x}",
    }  # fmt: skip


class _Forgetful(_DetailsReader):
    """The baseline: a reader that remembers nothing (every key and value put into words again)."""

    def _key(self, key: str) -> str:
        self._keys.clear()
        return super()._key(key)

    def value(self, key: str, value) -> str:
        self._values.clear()
        return super().value(key, value)


def best_of(run, times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    events = [audit.AuditEvent(i, datetime(2026, 12, 2, tzinfo=UTC), "sam@example.com", "Σάμης", "send_submit",
                               "send", str(i), details(i)) for i in range(ROWS)]  # fmt: skip
    with i18n.language("el"):
        audit.events_table(events[:10], UTC, "EUR")  # imports and catalogs, outside the timing
        remembered = best_of(lambda: audit.events_table(events, UTC, "EUR"))
        forgetful = best_of(lambda: [_Forgetful(UTC, "EUR").line(e.details) for e in events])
    print(f"Audit table, {ROWS:,} rows in Greek: {remembered * 1000:.0f} ms "
          f"(naive baseline, words looked up afresh: {forgetful * 1000:.0f} ms; {forgetful / remembered:.1f}x)")


if __name__ == "__main__":
    main()
