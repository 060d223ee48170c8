"""Keyed hashes of a person's destination and customer id: what the ledger keeps instead of the person.

The key of a value is the first 8 bytes of HMAC-SHA-256(secret, normalised value), read as a signed
64-bit integer. Eight bytes keep the ledger compact and its joins fast on integer columns; a false
match needs two different people to collide in 64 bits (about 1 in 3 million for a 1M list against a
5M ledger), and a collision only ever leaves someone out, never sends twice.

Match keys (`MatchKeys`): beside the HMAC, every ledger entry keeps two keyed 64-bit SipHash-2-4 values
of the same normalised text (the values of pandas' `pd.util.hash_array` with 16-byte keys derived
from the secret, computed in numpy straight from arrow's buffers by lib.ledger.siphash). The rules
join a whole list on these: a million values hash in about a tenth of a second, where HMAC costs a
microsecond each in Python. SipHash is a keyed PRF, so without
the secret nobody can make two values collide; a candidate found on the first value is confirmed by
the second (128 bits together), so a collision in one 64-bit value never leaves anyone out. The HMAC
stays the ledger's record (the issue requires it) and is computed once per send, when it is recorded.

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
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from lib.history.store import HistoryStore
from lib.ledger.siphash import siphash
from lib.recipients import emails, mobiles

try:  # CPython's own SHA-256: a lower per-call cost than OpenSSL's for the short values keyed here
    from _sha256 import sha256 as _sha256
except ImportError:  # pragma: no cover - another interpreter
    _sha256 = hashlib.sha256

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
        self._inner = _sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = _sha256(bytes(b ^ 0x5C for b in padded))
        self.match = MatchKeys(secret)

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
        child = in_child(lambda: self._packed(values[half:]))
        first = self._packed(values[:half])
        second = child()
        if second is None or len(second) != 8 * (len(values) - half):
            second = self._packed(values[half:])
        return first + second


def in_child(work: Callable[[], bytes]) -> Callable[[], bytes | None]:
    """Start `work` in a forked child (the machine's second core) and return a function that waits for
    its bytes (None if the child failed: the caller then does the work itself). The child already holds
    everything it needs, so nothing is copied to it; it leaves without running the parent's exit handlers."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as out:
                out.write(work())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)

    def result() -> bytes | None:
        with os.fdopen(read_end, "rb") as child:
            data = child.read()
        _, status = os.waitpid(pid, 0)
        return data if status == 0 else None

    return result


class MatchKeys:
    """Two keyed 64-bit SipHash-2-4 values per text, over whole columns: what the rules join on. Each
    16-byte SipHash key is derived from the installation secret (HMAC of a label); pandas took it as
    a 16-character ASCII string, so each byte keeps 7 bits (112 key bits per hash). The values are
    pandas' `hash_array` ones (what the ledger stores), computed by lib.ledger.siphash from arrow."""

    def __init__(self, secret: bytes):
        self._hash_keys = tuple(
            bytes(b & 0x7F for b in hmac.digest(secret, label, "sha256")[:16])
            for label in (b"ledger match key 1", b"ledger match key 2"))

    def __repr__(self) -> str:
        return "MatchKeys(<secret hidden>)"

    def keys(self, texts) -> tuple[np.ndarray, np.ndarray]:
        """(first, second) int64 match keys of already-normalised texts; both NO_KEY for a missing or
        empty text. A real text whose first key comes out as NO_KEY gets 1 instead (never "missing")."""
        import pyarrow as pa
        import pyarrow.compute as pc

        text = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(
            texts if isinstance(texts, pd.Series) else list(texts), type=pa.string(), from_pandas=True)
        present = pc.fill_null(pc.greater(pc.binary_length(text), 0), False).to_numpy(zero_copy_only=False)
        first, second = siphash(text, self._hash_keys).view(np.int64)
        first[present & (first == NO_KEY)] = 1
        first[~present] = NO_KEY
        second[~present] = NO_KEY
        return first, second

    def key(self, text: str | None) -> tuple[int, int]:
        first, second = self.keys([text])
        return int(first[0]), int(second[0])

    def people(self, destinations: pd.Series, unique_ids: pd.Series,
               meanwhile: Callable[[], object] | None = None) -> tuple[dict[str, np.ndarray], object]:
        """Both match keys of each normalised destination (dest_m1, dest_m2) and of each raw customer id
        (uid_m1, uid_m2; normalised here, as uid_texts does), and what `meanwhile` returned. The ids
        are hashed on a second thread while the destinations are hashed here (numpy lets go of the
        GIL in each step, so the two use both cores), and `meanwhile` (reading the database: the
        driver lets go of it too) runs on a third."""
        with ThreadPoolExecutor(2 if meanwhile is None else 3) as pool:
            other = pool.submit(meanwhile) if meanwhile is not None else None
            ids = pool.submit(lambda: self.keys(_uid_arrow(unique_ids)))
            dest = self.keys(destinations)
            uid = ids.result()
            result = other.result() if other is not None else None
        return {"dest_m1": dest[0], "dest_m2": dest[1], "uid_m1": uid[0], "uid_m2": uid[1]}, result


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
    """destination_text for a column of validated destinations (vectorised; its dtype kept)."""
    return destinations.str.lower() if str(channel) == "email" else destinations


def uid_text(unique_id: str | None) -> str | None:
    """One customer id as keyed: exactly uid_texts' answer (one code path, so they never disagree)."""
    if unique_id is None:
        return None
    text = uid_texts(pd.Series([str(unique_id)], dtype="object")).iloc[0]
    return text or None


def uid_texts(unique_ids: pd.Series) -> pd.Series:
    """uid_text for a column (arrow's kernels: a million ids in milliseconds, not a Python loop)."""
    folded = _uid_arrow(unique_ids)
    return pd.Series(folded.to_numpy(zero_copy_only=False), index=unique_ids.index, dtype="object")


def _uid_arrow(unique_ids: pd.Series):
    """uid_texts as an arrow array (missing: null), for the match keys without a detour through objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(unique_ids, type=pa.string(), from_pandas=True)  # missing (None, NaN, NA): null
    return pc.utf8_lower(pc.utf8_trim_whitespace(text))


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
