"""The numpy SipHash gives the very values the ledger's match keys were stored with (pandas' hash_array)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lib.ledger.siphash import BLOCK, siphash

KEYS = [b"0123456789abcdef", b"k\x01\x7f ledger key!!"]
TEXTS = ["", "a", "1234567", "12345678", "123456789", "+306912345678", "c0000001", "Maria@Example.GR",
         "μαρία@παράδειγμα.ελ", "x" * 64, "ζ" * 41, "emoji 🙂 ok", " spaced ", "\x00\x01"] + ["y" * i for i in range(40)]


def pandas_values(texts: list[str], key: bytes) -> np.ndarray:
    return pd.util.hash_array(np.array(texts, dtype=object), encoding="utf8", hash_key=key.decode(), categorize=False)


@pytest.mark.parametrize("texts", [TEXTS, [f"+3069{i:08d}" for i in range(3 * BLOCK + 5)],  # one length: the data reshaped
                                   [f"c{i}" for i in range(2 * BLOCK + 7)]])  # lengths mixed across blocks
def test_the_same_values_as_pandas(texts):
    got = siphash(pa.array(texts), KEYS)
    for row, key in zip(got, KEYS, strict=True):
        assert (row == pandas_values(texts, key)).all()


def test_a_slice_a_chunked_and_a_large_string_array_read_their_own_values():
    whole = pa.array(TEXTS)
    expected = pandas_values(TEXTS[5:20], KEYS[0])
    assert (siphash(whole.slice(5, 15), KEYS[:1])[0] == expected).all()
    chunked = pa.chunked_array([whole.slice(5, 7), whole.slice(12, 8)])
    assert (siphash(chunked, KEYS[:1])[0] == expected).all()
    assert (siphash(whole.slice(5, 15).cast(pa.large_string()), KEYS[:1])[0] == expected).all()
    assert siphash(pa.array([], pa.string()), KEYS).shape == (2, 0)


def test_the_reference_vectors_of_siphash_2_4():
    """Aumasson & Bernstein's vectors (key 00..0f; messages 00, 00 01, ...), seen through pandas' mix."""
    key = bytes(range(16))
    reference = {0: 0x726FDB47DD0E0E31, 1: 0x74F839C593DC67FD, 8: 0x93F5F5799A932462, 15: 0xA129CA6149BE45E5}

    def mixed(value: int) -> int:  # splitmix64's finaliser, as pandas applies it after SipHash
        m = (1 << 64) - 1
        value ^= value >> 30
        value = (value * 0xBF58476D1CE4E5B9) & m
        value ^= value >> 27
        value = (value * 0x94D049BB133111EB) & m
        return value ^ (value >> 31)

    texts = ["".join(map(chr, range(n))) for n in reference]
    got = siphash(pa.array(texts), [key])[0]
    assert [int(v) for v in got] == [mixed(v) for v in reference.values()]
