"""Helpers for the worker tests: manifests of any size, and the sandbox's own count of who it received."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter

from lib.messaging.client import MessagingClient
from lib.sending.engine import SendEngine
from lib.sending.manifest import ManifestRecipient, SendManifest, make_manifest
from lib.templates import load_catalog
from tests.conftest import SANDBOX_PASSWORD, SANDBOX_USER

PROMO = next(t for t in load_catalog() if t.id == 71)
PAYLOAD = (("expirationDate", "31/12/2026"), ("voucherAmount", "10 €"), ("voucherCode", "V1"))


def big_manifest(n: int, tag: str = "A") -> SendManifest:
    """`n` recipients with uniqueIds `<tag>000000`…; a different tag is a different list (manifest)."""
    people = [
        ManifestRecipient(
            row_number=i + 2, unique_id=f"{tag}{i:06d}", destination=f"+3069{30000000 + i:08d}", card_number=None,
            payload=PAYLOAD,
        )  # fmt: skip
        for i in range(n)
    ]
    return make_manifest(PROMO, people, schedule_at=None)


def new_client(url: str, *, read_timeout: float = 10.0) -> MessagingClient:
    return MessagingClient(url, SANDBOX_USER, SANDBOX_PASSWORD, connect_timeout=2.0, read_timeout=read_timeout)


def make_engine(store, client, *, batch_size=2, as_live=False, **options) -> SendEngine:
    """`as_live=True`: the sends' platform is the sandbox's URL, as a worker process configured with
    MESSAGING_API_URL sees it (a worker only claims sends to its own platform)."""
    return SendEngine(
        store, client, batch_size=batch_size, platform_url=client.base_url, is_sandbox=not as_live,
        operator="maria", **options,
    )  # fmt: skip


def sandbox_received(sandbox) -> Counter:
    """uniqueId -> how many times the sandbox stored it in a dispatch: its own records, not ours."""
    path = sandbox.config.data_dir / "sandbox.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return Counter(uid for (uid,) in db.execute("SELECT unique_id FROM recipients"))


def sandbox_dispatch_count(sandbox) -> int:
    path = sandbox.config.data_dir / "sandbox.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return db.execute("SELECT COUNT(*) FROM dispatches").fetchone()[0]


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
