"""Helpers for the Dispatches tests: real sends to the sandbox, recorded in a real history store.

`record_send` sends through the real send engine (so the refresher and the page are tested on
exactly the rows the engine writes); with `post=False` it only records the send, as a send that
stopped before posting leaves it, so tests can put its chunks in the states a broken send ends in.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime

from lib.history.store import HistoryStore, NewRecipient
from lib.messaging import MessagingClient
from lib.sending.engine import SendEngine
from lib.sending.manifest import ManifestRecipient, make_manifest
from lib.templates import load_catalog

SMS_TEMPLATE = 71  # promo SMS in the shipped catalog
EMAIL_TEMPLATE = 81


_fresh = itertools.count(1000, 100)


def mobiles(count: int, start: int | None = None) -> list[str]:
    """Greek mobiles; a fresh block each call unless `start` is given (a fresh list is a new manifest)."""
    first = next(_fresh) if start is None else start
    return [f"69{36800000 + first + i:08d}" for i in range(count)]


def record_send(
    store: HistoryStore,
    client: MessagingClient,
    *,
    template_id: int = SMS_TEMPLATE,
    destinations: list[str] | None = None,
    batch_size: int = 1000,
    schedule_at: datetime | None = None,
    excluded: int = 0,
    created_by: str = "tester",
    claim: str | None = None,
    post: bool = True,
    estimated_cost=None,
    is_test: bool = False,
) -> int:
    """A send of `destinations` (mobiles for SMS, emails for email) posted chunk by chunk. Returns the send id."""
    destinations = destinations or mobiles(2)
    channel = "email" if template_id == EMAIL_TEMPLATE else "sms"
    if post:
        template = next(t for t in load_catalog() if t.id == template_id)
        people = [
            ManifestRecipient(row_number=i + 2, unique_id=f"C{i:05d}", destination=d, card_number=None, payload=())
            for i, d in enumerate(destinations)
        ]
        engine = SendEngine(
            store, client, batch_size=batch_size, platform_url=client.base_url, is_sandbox=True, operator=created_by
        )
        outcome = engine.submit(
            make_manifest(template, people, schedule_at=schedule_at),
            excluded_recipients=excluded,
            estimated_parts=len(people) if channel == "sms" else None,
            estimated_cost=estimated_cost,
            is_test=is_test,
        )
        return outcome.send_id
    people = [
        NewRecipient(unique_id=f"C{i:05d}", row_number=i + 2, destination=d, card_number=None, payload=[])
        for i, d in enumerate(destinations)
    ]
    chunks = [people[i : i + batch_size] for i in range(0, len(people), batch_size)]
    send_id = store.create_send(
        manifest_hash="f" * 64,
        claim=claim or f"test:{time.monotonic_ns()}",
        template_id=template_id,
        template_name={71: "Spring promo", 81: "Newsletter"}.get(template_id, f"Template {template_id}"),
        channel=channel,
        schedule_at=schedule_at,
        created_by=created_by,
        platform_url=client.base_url,
        is_sandbox=True,
        is_test=False,
        resend_of=None,
        excluded_recipients=excluded,
        estimated_parts=len(people) if channel == "sms" else None,
        estimated_cost=None,
        batch_size=batch_size,
        chunks=chunks,
    )
    return send_id


def poll(condition, timeout: float, what: str, interval: float = 0.05):
    """Call `condition` until it returns something truthy or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
