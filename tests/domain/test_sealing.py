"""market.domain.sealing: any t of n key holders open a quote, fewer do not, a share moved to
another quote or key does not open, and key files are checked whole."""

from __future__ import annotations

import base64
import itertools
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.domain import sealing

CTX = sealing.QuoteContext("RQ-000001", 1, "AG-000001", "ab" * 32)


@cache
def _keys(n: int) -> tuple[tuple[bytes, bytes], ...]:
    return tuple(sealing.generate_key() for _ in range(n))


def _holders(n: int) -> list[sealing.Holder]:
    return [sealing.Holder(sealing.key_id(pub), pub) for _priv, pub in _keys(n)]


def _shares(quote: sealing.SealedQuote, n: int, ctx: sealing.QuoteContext = CTX) -> list[bytes]:
    return [sealing.unwrap(priv, quote.shares[i].key_id, ctx.request_id, ctx.round,
                           ctx.commitment, quote.shares[i].wrapped)
            for i, (priv, _pub) in enumerate(_keys(n))]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), data=st.data(), plaintext=st.binary(min_size=40, max_size=40))
def test_any_t_of_n_open_and_fewer_do_not(n: int, data: st.DataObject, plaintext: bytes) -> None:
    t = data.draw(st.integers(1, n))
    quote = sealing.seal(_holders(n), t, plaintext, CTX)
    assert plaintext not in quote.ciphertext
    shares = _shares(quote, n)
    for i, share in enumerate(shares):  # each share matches the hash kept beside it
        assert sealing.share_hash(quote.shares[i].key_id, CTX.commitment, share) == \
            quote.shares[i].share_hash
    for subset in itertools.combinations(shares, t):
        assert sealing.open_quote(list(subset), quote.ciphertext, CTX) == plaintext
    if t > 1:
        for subset in itertools.combinations(shares, t - 1):
            with pytest.raises(sealing.SealingError):
                sealing.open_quote(list(subset), quote.ciphertext, CTX)


def test_a_share_is_bound_to_its_quote_key_and_context() -> None:
    quote = sealing.seal(_holders(3), 2, b"x" * 40, CTX)
    other = sealing.QuoteContext("RQ-000001", 1, "AG-000002", "cd" * 32)
    with pytest.raises(sealing.SealingError):  # the share of another quote
        sealing.unwrap(_keys(3)[0][0], quote.shares[0].key_id, other.request_id, other.round,
                       other.commitment, quote.shares[0].wrapped)
    with pytest.raises(sealing.SealingError):  # another holder's key
        sealing.unwrap(_keys(3)[1][0], quote.shares[0].key_id, CTX.request_id, CTX.round,
                       CTX.commitment, quote.shares[0].wrapped)
    shares = _shares(quote, 3)
    with pytest.raises(sealing.SealingError):  # the right shares under another context
        sealing.open_quote(shares[:2], quote.ciphertext, other)
    with pytest.raises(sealing.SealingError):  # the same share twice is not two shares
        sealing.open_quote([shares[0], shares[0]], quote.ciphertext, CTX)
    with pytest.raises(sealing.SealingError):
        sealing.seal(_holders(2), 3, b"x", CTX)


def test_key_files_are_checked_whole() -> None:
    (priv, pub), (_priv2, pub2) = _keys(2)
    doc = sealing.key_file(priv, pub, "U-1", "site", "2026-03-01T00:00:00Z")
    assert sealing.read_key_file(doc) == (sealing.key_id(pub), pub, priv)
    for broken in ({**doc, "format": "x"}, {**doc, "public_key": base64.b64encode(pub2).decode()},
                   {**doc, "private_key_pkcs8": "AAAA"}, {k: v for k, v in doc.items()
                                                          if k != "public_key"}):
        with pytest.raises(sealing.SealingError):
            sealing.read_key_file(broken)
    assert sealing.public_key_from_text(doc["public_key"]) == pub
    for bad in ("not base64!", base64.b64encode(b"\x04" + bytes(64)).decode(),
                base64.b64encode(pub[:33]).decode()):
        with pytest.raises(sealing.SealingError):
            sealing.public_key_from_text(bad)
