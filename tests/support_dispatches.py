"""Helpers for the Dispatches tests: real sends to the sandbox, recorded in a real history store.

`record_send` does what the send engine does for one send (write the send and its chunks, POST each
chunk, record the answer and its dispatch row) through the store's own API, so these tests exercise
the refresher and the page on exactly the rows the engine writes.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from lib.history.store import HistoryStore, NewRecipient
from lib.messaging import MessagingClient, Recipient
from lib.sending.status import ChunkStatus

SMS_TEMPLATE = 71  # promo SMS in the shipped catalog
EMAIL_TEMPLATE = 81


def mobiles(count: int, start: int = 0) -> list[str]:
    return [f"69{36800000 + start + i:08d}" for i in range(count)]


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
) -> int:
    """A send of `destinations` (mobiles for SMS, emails for email) posted chunk by chunk. Returns the send id."""
    destinations = destinations or mobiles(2)
    channel = "email" if template_id == EMAIL_TEMPLATE else "sms"
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
    if post:
        for chunk in store.get_send(send_id).chunks:
            post_chunk(store, client, send_id, chunk.id, template_id, channel, schedule_at)
    return send_id


def post_chunk(store, client, send_id, chunk_id, template_id, channel, schedule_at) -> int:
    assert store.move_chunk(chunk_id, expected=ChunkStatus.PENDING, new=ChunkStatus.POSTING, count_attempt=True)
    stored = store.chunk_recipients(chunk_id)
    recipients = [
        Recipient(unique_id=r.unique_id, mobile_phone=r.destination if channel == "sms" else None,
                  email=r.destination if channel == "email" else None)
        for r in stored
    ]
    result = client.send_messages(template_id, recipients, schedule_at)
    now = datetime.now(UTC)
    store.move_chunk(
        chunk_id,
        expected=ChunkStatus.POSTING,
        new=ChunkStatus.ACCEPTED,
        dispatch_id=result.dispatch,
        total_recipients_sent=result.total_recipients_sent,
        invalid_recipients=result.invalid_recipients,
        invalid_json=json.dumps(
            {"invalidEmails": result.invalid_emails, "invalidMobiles": [m.to_json() for m in result.invalid_mobiles]}
        ),
        dispatch={
            "dispatch_id": result.dispatch,
            "send_id": send_id,
            "chunk_id": chunk_id,
            "template_id": template_id,
            "message_type_id": 1 if channel == "sms" else 2,
            "total_recipients": result.total_recipients_sent,
            "send_status_id": 1,
            "created_at": now,
            "send_at": result.send_date,
        },
        now=now,
    )
    return result.dispatch


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
