"""Keyed hashes of a person's destination and customer id: what the ledger keeps instead of the person.

The key of a value is the first 8 bytes of HMAC-SHA-256(secret, normalised value), read as a signed
64-bit integer. Eight bytes keep the ledger compact and its joins fast on integer columns; a false
match needs two different people to collide in 64 bits (about 1 in 3 million for a 1M list against a
5M ledger), and a collision only ever leaves someone out, never sends twice.

The secret: 32 random bytes created on first start and kept in the store's `meta` table. Decision:
in the database, not in a file beside it, because the ledger is worthless without it: a backup or a
move to PostgreSQL (where there is no "beside the database") must carry both together, and a lost
file would silently stop every match. It is never logged, printed or shown; `LedgerKeys.__repr__`
hides it.

Normalisation (the same as the recipient lists', never a second one):
- mobile: E.164 as `lib.recipients.mobiles` gives it (`+30 693…`, `0030693…`, `693…` are one number);
- email: `lib.recipients.emails`' normal form (IDN domains in Unicode), then lower-cased whole;
- customer id: stripped and lower-cased (Unicode, arrow's utf8_lower). Decision: ids that differ only
  in case are the same person,
  because CRMs and spreadsheets change the case of ids (the issue's "ids in lower case"); two real
  customers told apart only by case would be left out together, never messaged twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lib.history.store import HistoryStore
from lib.recipients import emails, mobiles

SECRET_META_KEY = "ledger_secret"
NO_KEY = 0  # the key of a missing value (a real key is 0 with probability 2**-64)
_NO_KEY_BYTES = NO_KEY.to_bytes(8, "little")
_BLOCK = 64  # SHA-256 block size, for HMAC's pads


def installation_secret(store: HistoryStore) -> bytes:
    """The installation's secret, created (once, even with two processes starting) on first use."""
    stored = store.get_meta(SECRET_META_KEY)
    if stored is None:
        from sqlalchemy import insert, select

        from lib.history import schema as s

        with store.write() as conn:  # BEGIN IMMEDIATE: a second process waits, then finds ours
            stored = conn.execute(select(s.meta.c.value).where(s.meta.c.key == SECRET_META_KEY)).scalar()
            if stored is None:
                stored = secrets.token_hex(32)
                conn.execute(insert(s.meta).values(key=SECRET_META_KEY, value=stored))
    return bytes.fromhex(stored)


class LedgerKeys:
    """HMAC-SHA-256 keys for many values at once. HMAC is computed from precomputed inner and outer
    SHA-256 states (RFC 2104), the same bytes as `hmac.digest`, at half its per-value cost."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the ledger secret is too short")
        padded = secret.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def __repr__(self) -> str:
        return "LedgerKeys(<secret hidden>)"

    @classmethod
    def for_store(cls, store: HistoryStore) -> LedgerKeys:
        return cls(installation_secret(store))

    def digest(self, text: str) -> bytes:
        inner = self._inner.copy()
        inner.update(text.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def key(self, text: str | None) -> int:
        if text is None or text == "":
            return NO_KEY
        return int.from_bytes(self.digest(text)[:8], "little", signed=True)

    def keys(self, texts: Iterable[str | None]) -> np.ndarray:
        """int64 keys of already-normalised texts (NO_KEY for missing). One tight loop of four C calls
        per value: measured faster than finding the distinct values first, which lists rarely repeat.
        The send reuses the check's keys by row (Ledger.stage), so a list is hashed once."""
        values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
        inner, outer = self._inner.copy, self._outer.copy
        missing = _NO_KEY_BYTES

        def one(text) -> bytes:
            if not isinstance(text, str) or not text:  # None, NaN, NA, empty: no key
                return missing
            i = inner()
            i.update(text.encode("utf-8"))
            o = outer()
            o.update(i.digest())
            return o.digest()[:8]

        return np.frombuffer(b"".join([one(text) for text in values]), dtype="<i8").astype(np.int64)


def destination_text(channel: str, destination: str | None) -> str | None:
    """The normalised destination as keyed: E.164 as validated; an address lower-cased."""
    if destination is None:
        return None
    return destination.lower() if str(channel) == "email" else destination


def destination_texts(channel: str, destinations: pd.Series) -> pd.Series:
    """destination_text for a column of validated destinations (vectorised)."""
    column = destinations.astype("object")
    return column.str.lower() if str(channel) == "email" else column


def uid_text(unique_id: str | None) -> str | None:
    """One customer id as keyed: exactly uid_texts' answer (one code path, so they never disagree)."""
    if unique_id is None:
        return None
    text = uid_texts(pd.Series([str(unique_id)], dtype="object")).iloc[0]
    return text or None


def uid_texts(unique_ids: pd.Series) -> pd.Series:
    """uid_text for a column (arrow's kernels: a million ids in milliseconds, not a Python loop)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(unique_ids.astype("object").where(unique_ids.notna(), None), type=pa.string())
    folded = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    return pd.Series(folded.to_numpy(zero_copy_only=False), index=unique_ids.index, dtype="object")


def normalise_destination(raw: str, region: str, allowed: tuple[str, ...]) -> tuple[str, str]:
    """('mobile'|'email', normalised text) for something a person typed, with the recipient lists'
    own rules; ValueError with their sentence when it is neither a mobile nor an address."""
    text = (raw or "").strip()
    if "@" in text:
        verdict = emails.check_one(text)
        if verdict.normalized is None:
            raise ValueError(f"{text!r}: {verdict.message}")
        return "email", verdict.normalized.lower()
    checked = mobiles.check_one(text, region, allowed)
    if checked.e164 is None:
        raise ValueError(f"{text!r}: {checked.message}")
    return "mobile", checked.e164
