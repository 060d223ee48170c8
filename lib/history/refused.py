"""Recipients the platform refused in a part of a send, traced back to the spreadsheet: the one rule.

The platform answers a POST with `invalidMobiles` (each with its uniqueId) and `invalidEmails` (bare
addresses). A refused mobile is the recipient with that uniqueId; a refused address is EVERY recipient
of the part with that address, compared without case — a list may hold one address twice (two customers
sharing a mailbox), and the platform refused it for both. Rows come in spreadsheet order, purged ones
(no row number any more) last. The sending engine and the Dispatches page both read refusals this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lib import i18n
from lib.history.store import HistoryStore, StoredRecipient


class Refusal(StrEnum):
    MOBILE = "mobile"  # the platform refused this mobile number
    EMAIL = "email"  # the platform refused this email address

    @property
    def reason(self) -> str:
        return i18n.coded(REFUSAL_WORDS, self)


REFUSAL_WORDS = i18n.family("history.refused", Refusal)


@dataclass(frozen=True)
class RefusedRecipient:
    unique_id: str
    row_number: int | None  # None when the personal data was already purged
    destination: str
    refusal: Refusal


def platform_refusals(store: HistoryStore, chunk_id: int, said: Mapping[str, Any]) -> list[RefusedRecipient]:
    """The platform's invalid lists for one part (`said`: its parsed invalid_json) as recipients."""
    mobiles = [m for m in said.get("invalidMobiles") or [] if isinstance(m, Mapping)]
    emails = [str(e) for e in said.get("invalidEmails") or []]
    found = store.find_chunk_recipients(
        chunk_id, unique_ids=[str(m.get("uniqueId", "")) for m in mobiles], destinations=emails
    )
    by_id = {r.unique_id: r for r in found}
    by_address: dict[str, list[StoredRecipient]] = {}
    for r in found:
        by_address.setdefault(r.destination.lower(), []).append(r)
    out = []
    for m in mobiles:
        unique_id = str(m.get("uniqueId", ""))
        match = by_id.get(unique_id)
        destination = str(m.get("mobile") or (match.destination if match else ""))
        out.append(RefusedRecipient(unique_id, match.row_number if match else None, destination, Refusal.MOBILE))
    for email in emails:
        for match in by_address.get(email.lower()) or [None]:
            out.append(
                RefusedRecipient(match.unique_id if match else "", match.row_number if match else None, email,
                                 Refusal.EMAIL)  # fmt: skip
            )
    return sorted(out, key=lambda r: (r.row_number is None, r.row_number or 0))
