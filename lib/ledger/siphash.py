"""Keyed SipHash-2-4 of a column of strings, in numpy, straight from arrow's buffers.

The values are exactly `pd.util.hash_array(values, encoding="utf8", hash_key=key, categorize=False)`'s
(SipHash-2-4 of each value's UTF-8 bytes, then pandas' splitmix64 mix), which the ledger's match keys
were made with and are stored as; tests/test_ledger_siphash.py checks them against pandas and against
SipHash's reference vectors. Why not pandas': it takes Python objects, so a million arrow strings
become a million `str` and then a million `bytes` before the C hasher sees them; that conversion was
most of the cost. Here the values' bytes are read as 64-bit words from the arrow buffer and every
SipHash step is one numpy operation over a block of values and all keys at once (numpy lets go of
the GIL in those, so two columns hash on two threads).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_U = np.uint64
_INIT = tuple(_U(c) for c in (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573))
BLOCK = 16_384  # values per step: the state (4 arrays of keys x block) stays in the core's cache


def siphash(texts: pa.Array | pa.ChunkedArray, keys: Sequence[bytes]) -> np.ndarray:
    """(len(keys), n) uint64: pandas' hash_array value of each string under each 16-byte key. A null
    hashes as whatever bytes arrow keeps under it: the caller decides what a missing value's key is."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        texts = texts.cast(pa.large_string())  # (string views, binary: the same bytes in offsets and data)
    if any(len(k) != 16 for k in keys):
        raise ValueError("a SipHash key is 16 bytes")
    offsets, data = _layout(texts)
    k0 = np.array([int.from_bytes(k[:8], "little") for k in keys], dtype=_U)[:, None]
    k1 = np.array([int.from_bytes(k[8:16], "little") for k in keys], dtype=_U)[:, None]
    n = len(offsets) - 1
    lengths = np.diff(offsets)
    out = np.empty((len(keys), n), dtype=_U)
    words = lengths // 8 + 1  # the message words SipHash reads, the last holding the length
    counts = np.bincount(words) if n else np.zeros(0, np.int64)
    for w in np.flatnonzero(counts):
        rows = None if counts[w] == n else np.flatnonzero(words == w)
        for start in range(0, n if rows is None else len(rows), BLOCK):
            block = slice(start, min(start + BLOCK, n)) if rows is None else rows[start:start + BLOCK]
            message = _words(data, offsets, block, int(w))
            out[:, block] = _hash_block(message, k0, k1)
    return out


def _layout(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64, the data bytes) of a string array, without copying the data."""
    buffers = texts.buffers()
    dtype = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=dtype)[texts.offset:texts.offset + len(texts) + 1].astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None and buffers[2].size else _ONE_ZERO
    return offsets, data


_ONE_ZERO = np.zeros(1, dtype=np.uint8)


def _words(data: np.ndarray, offsets: np.ndarray, block, w: int) -> np.ndarray:
    """(rows, w) little-endian message words of the block's values (each w // 8 ... words long): the
    bytes, zero-padded, the last byte of the last word the value's length mod 256 (SipHash's padding)."""
    if isinstance(block, slice):
        starts, lengths = offsets[block], offsets[block.start + 1:block.stop + 1] - offsets[block]
    else:
        starts, lengths = offsets[block], offsets[block + 1] - offsets[block]
    n = len(starts)
    padded = np.zeros((n, 8 * w), dtype=np.uint8)
    first, same = (int(lengths[0]), bool((lengths == lengths[0]).all())) if n else (0, True)
    if isinstance(block, slice) and same and first:  # contiguous values of one length: the data, reshaped
        padded[:, :first] = data[int(starts[0]):int(starts[0]) + n * first].reshape(n, first)
    elif n:
        columns = np.arange(8 * w - 1)
        at = np.minimum(starts[:, None] + columns, len(data) - 1)
        padded[:, :-1] = np.where(columns < lengths[:, None], data[at], 0)
    padded[:, -1] = (lengths & 0xFF).astype(np.uint8)
    return padded.view("<u8")


def _hash_block(message: np.ndarray, k0: np.ndarray, k1: np.ndarray) -> np.ndarray:
    """SipHash-2-4 of each row of message words under each key (rows: keys), then pandas' mix."""
    shape = (len(k0), len(message))
    v0, v1, v2, v3 = (np.empty(shape, dtype=_U) for _ in range(4))
    v0[:], v1[:], v2[:], v3[:] = _INIT[0] ^ k0, _INIT[1] ^ k1, _INIT[2] ^ k0, _INIT[3] ^ k1
    spare = np.empty(shape, dtype=_U)
    for j in range(message.shape[1]):
        m = message[:, j].astype(_U)
        v3 ^= m
        _rounds(v0, v1, v2, v3, spare, 2)
        v0 ^= m
    v2 ^= _U(0xFF)
    _rounds(v0, v1, v2, v3, spare, 4)
    v0 ^= v1
    v0 ^= v2
    v0 ^= v3
    # pandas' hash_array spreads the SipHash value with splitmix64's finaliser
    v0 ^= v0 >> _U(30)
    v0 *= _U(0xBF58476D1CE4E5B9)
    v0 ^= v0 >> _U(27)
    v0 *= _U(0x94D049BB133111EB)
    v0 ^= v0 >> _U(31)
    return v0


def _rotate(v: np.ndarray, bits: int, spare: np.ndarray) -> None:
    np.left_shift(v, _U(bits), out=spare)
    v >>= _U(64 - bits)
    v |= spare


def _rounds(v0, v1, v2, v3, spare, n: int) -> None:
    """n SipRounds, in place (the reference's order; independent steps of its two halves side by side)."""
    for _ in range(n):
        v0 += v1
        v2 += v3
        _rotate(v1, 13, spare)
        _rotate(v3, 16, spare)
        v1 ^= v0
        v3 ^= v2
        _rotate(v0, 32, spare)
        v2 += v1
        v0 += v3
        _rotate(v1, 17, spare)
        _rotate(v3, 21, spare)
        v1 ^= v2
        v3 ^= v0
        _rotate(v2, 32, spare)
