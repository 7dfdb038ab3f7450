"""The public vectors: rank outputs and RFC 6962 roots."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.cli import rank_input
from lottery.draw import commitment, rank
from lottery.encoding import cjson
from lottery.errors import Invalid
from lottery.merkle import EMPTY_ROOT, mth
from tests.lottery.lottery_helpers import SHARED_VECTORS, VECTORS, vectors

RANK_CASES = vectors("lottery-v1.json")["cases"]
MERKLE = vectors("merkle-rfc6962.json")


@pytest.mark.parametrize("name", ["lottery-v1.json", "merkle-rfc6962.json"])
def test_the_project_copy_is_the_published_one(name: str) -> None:
    """The vectors in docs/spec/vectors are a copy of the published ones; where the shared
    copy sits beside the checkout, they must not have drifted apart."""
    shared = SHARED_VECTORS / name
    if not shared.exists():
        pytest.skip(f"no shared vectors beside the checkout ({shared}); the project copy is used")
    assert (VECTORS / name).read_bytes() == shared.read_bytes()


@pytest.mark.parametrize("case", RANK_CASES, ids=[c["name"] for c in RANK_CASES])
def test_rank_vectors(case: dict) -> None:
    i = case["input"]
    result = rank(
        i["lottery_id"], bytes.fromhex(i["announcement_hash"]), bytes.fromhex(i["secret"]),
        i["sources"], i["pool"], i["k"],
    )  # fmt: skip
    assert result.to_json() == case["expected"]
    assert rank_input(cjson(i)) == case["expected"]


def test_rfc6962_roots() -> None:
    leaves = [bytes.fromhex(h) for h in MERKLE["leaves_hex"]]
    for n, root in MERKLE["roots_hex_by_size"].items():
        assert mth(leaves[: int(n)]).hex() == root
    assert EMPTY_ROOT.hex() == MERKLE["empty_root_hex"]


def test_cjson_is_spec_canonical() -> None:
    # Keys by code point (not UTF-16): U+FF61 sorts before U+1F600 here, after it in RFC 8785.
    assert cjson({"\U0001f600": 1, "\uff61": 2, "a": "/\u2028\x7f\x01é"}) == (
        '{"a":"/\u2028\x7f\\u0001é","｡":2,"\U0001f600":1}'.encode()
    )
    assert cjson({"e\u0301": 1}) == '{"é":1}'.encode()


def test_cjson_nfc_equal_keys_are_an_error() -> None:
    with pytest.raises(Invalid):
        cjson({"é": 1, "e\u0301": 2})


def test_commitment_changes_with_each_input() -> None:
    a = commitment("L-1", b"\x00" * 32)
    assert a != commitment("L-2", b"\x00" * 32)
    assert a != commitment("L-1", b"\x00" * 31 + b"\x01")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(0, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_cjson_matches_the_spec_formula(x: object) -> None:
    import json
    import unicodedata

    from lottery.encoding import nfc

    try:
        normalized = nfc(x)
    except Invalid:
        return  # NFC-equal keys: an error by definition
    expected = json.dumps(normalized, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in expected):
        return  # lone surrogates cannot be UTF-8; cjson refuses them
    assert cjson(x) == expected.encode("utf-8")
    assert unicodedata.is_normalized("NFC", cjson(x).decode("utf-8"))
