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
import os
import secrets
import threading
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
        """int64 keys of already-normalised texts (NO_KEY for missing). Measured faster than finding the
        distinct values first, which lists rarely repeat. The send reuses the check's keys by row
        (Ledger.stage), so a list is hashed once. A large list is hashed by two processes (`_in_two`)."""
        values = texts.tolist() if isinstance(texts, pd.Series) else list(texts)
        packed = self._in_two(values) if len(values) >= PARALLEL_MIN and _may_fork() else self._packed(values)
        return np.frombuffer(packed, dtype="<i8").astype(np.int64)

    def _packed(self, values: list) -> bytes:
        """The first 8 bytes of each value's HMAC, concatenated. One expression per value, no function call:
        the per-value Python overhead is most of the cost (measured 18% faster than a helper function)."""
        inner, outer, missing = self._inner.copy, self._outer.copy, _NO_KEY_BYTES
        return b"".join([
            (o := outer()).update((i := inner()).update(t.encode("utf-8")) or i.digest()) or o.digest()[:8]
            if isinstance(t, str) and t else missing  # None, NaN, NA, empty: no key
            for t in values
        ])

    def _in_two(self, values: list) -> bytes:
        """`_packed` with the second half hashed by a forked child (the machine's second core): the child
        already holds the values and the secret, so nothing is copied to it, and it sends back 8 bytes a
        value through a pipe. If the child fails, its half is hashed here: never a wrong or missing key."""
        half = len(values) // 2
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: hash, write, leave without running the parent's exit handlers
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    out.write(self._packed(values[half:]))
            finally:
                os._exit(0)
        os.close(write_end)
        first = self._packed(values[:half])
        with os.fdopen(read_end, "rb") as child:
            second = child.read()
        os.waitpid(pid, 0)
        if len(second) != 8 * (len(values) - half):
            second = self._packed(values[half:])
        return first + second


PARALLEL_MIN = 200_000  # below this, forking costs more than the second core saves


def _may_fork() -> bool:
    """Fork only a single-threaded process (`python -m lib check`, `send`): a child forked from a threaded
    one (the Streamlit server) could inherit a lock another thread held. There the list is hashed here."""
    return hasattr(os, "fork") and threading.active_count() == 1 and (os.cpu_count() or 1) > 1


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
