"""The verifier's batched fast paths give exactly the answers of the one-by-one checks.

Each fast path either accepts what the per-item checks accept or declines (and the per-item
checks then run), so every outcome — passed, or the failing check and its reason — must be the
same with the fast paths switched off.
"""

from __future__ import annotations

import copy
import hmac
from binascii import b2a_base64
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lottery.events as events_module
import lottery.verify as verify_module
from lottery.draw import _TICKET_TAG, canonical_pool, pool_root, tickets
from lottery.encoding import (
    all_easy_times,
    all_identifiers,
    check_time,
    cjson,
    enc,
    format_time,
    is_identifier,
    utf8,
)
from lottery.errors import CheckFailed, Invalid
from lottery.events import LotteryState, cjson_checked_event, leaf_hashes_of_checked
from lottery.merkle import leaf_hash, mth
from lottery.verify import verify_bundle
from tests.lottery.lottery_helpers import LOTTERY, START, make_platform
from tests.support.lottery_history import default_plan

_PLATFORM = make_platform()
_BUNDLE = _PLATFORM.bundle(LOTTERY)
# The lottery logged first: its entries start the log and stop before its end, so the bulk
# inclusion check takes the right-hand siblings of its upper nodes from the proofs; _BUNDLE's
# entries end the log and take the left-hand ones.
_FIRST = _PLATFORM.bundle("ZJ-2026-000000")


def _outcome(bundle: Any) -> tuple[str, ...]:
    try:
        return tuple(verify_bundle(bundle).lines())
    except CheckFailed as exc:
        return ("FAIL", exc.check, exc.reason)


def _slow_outcome(bundle: Any) -> tuple[str, ...]:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(verify_module, "_entries_well_formed", lambda entries: None)
        m.setattr(verify_module, "run_inclusions_hold", lambda *args: False)
        m.setattr(verify_module, "is_ranking_of", lambda given, ticket_map: False)
        m.setattr(LotteryState, "apply_registers", lambda self, events: False)
        m.setattr(events_module, "is_canonical_order_of", lambda given, members: False)
        m.setattr(events_module, "is_permutation_of", lambda ranking, pool: False)
        return _outcome(bundle)


def _same(bundle: Any) -> tuple[str, ...]:
    fast = _outcome(copy.deepcopy(bundle))
    assert fast == _slow_outcome(copy.deepcopy(bundle))
    return fast


def _entry(b: dict[str, Any], type_: str = "register") -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in b["log"]["entries"] if e["event"]["type"] == type_)
    return entry


def _proof0(b: dict[str, Any]) -> list[Any]:
    proof: list[Any] = _entry(b)["proof"]
    return proof


def test_the_fast_paths_take_a_valid_bundle() -> None:
    """Otherwise the comparisons below would compare the slow path with itself."""
    entries = copy.deepcopy(_BUNDLE["log"]["entries"])
    assert verify_module._entries_well_formed(entries)
    registers = [e["event"] for e in entries if e["event"]["type"] == "register"]
    state = LotteryState.start(entries[0]["event"])
    assert len(registers) > 3 and state.apply_registers(registers)
    assert state.registered == {e["data"]["agency_id"] for e in registers}
    rec = _BUNDLE["record"]
    assert events_module.is_canonical_order_of(rec["pool"], set(rec["pool"]))
    assert events_module.is_permutation_of(rec["ranking"], rec["pool"])
    assert verify_module.is_ranking_of(rec["ranking"], {a: bytes.fromhex(t)
                                                        for a, t in rec["tickets"].items()})
    for bundle in (_BUNDLE, _FIRST):
        assert _inclusion_in_bulk(bundle)


def _inclusion_in_bulk(bundle: dict[str, Any]) -> bool:
    """Did the inclusion check of a valid bundle end in the bulk comparison?"""
    held: list[bool] = []
    real = verify_module.run_inclusions_hold

    def spy(*args: Any) -> bool:
        held.append(real(*args))
        return held[-1]

    with pytest.MonkeyPatch.context() as m:
        m.setattr(verify_module, "run_inclusions_hold", spy)
        verify_bundle(copy.deepcopy(bundle))
    return held == [True]


def _interleaved() -> dict[str, Any]:
    """The bundle of a lottery whose steps alternate in the log with another lottery's."""
    p = make_platform()
    start = START + timedelta(days=10)

    def t(minutes: int) -> str:
        return format_time(start + timedelta(minutes=minutes))

    closes = start + timedelta(days=1)
    plan = default_plan(closes)
    lotteries = ("ZJ-2026-000010", "ZJ-2026-000011")
    for lottery in lotteries:
        p.announce(lottery, f"RQ-{lottery}", 1, format_time(closes), plan, t(0))
    for a in ("AG-0001", "AG-0002", "AG-0003", "AG-0004"):
        for lottery in lotteries:
            p.register(lottery, a, t(1))
    for lottery in lotteries:
        p.freeze(lottery, t(24 * 60 + 2))
    for i, account in enumerate(("witness-1", "witness-2")):
        for lottery in lotteries:
            p.entropy(lottery, {**plan[i], "value": f"{i:08d}"}, t(24 * 60 + 10 + i), account)
    for lottery in lotteries:
        p.entropy(lottery, {**plan[-1], "value": "3 7 12 19 25 31 + 9"}, t(24 * 60 + 365),
                  "system")  # fmt: skip
    for lottery in lotteries:
        p.draw(lottery, t(24 * 60 + 366))
    return p.bundle(lotteries[1])


_INTERLEAVED = _interleaved()


def test_interleaved_entries_take_the_walk() -> None:
    """Not one stretch of the log: the proofs are walked one by one, and they verify."""
    assert _outcome(copy.deepcopy(_INTERLEAVED))[0].startswith("OK ")
    assert not _inclusion_in_bulk(_INTERLEAVED)


TARGETED = {
    "valid": lambda b: None,
    "index as bool": lambda b: _entry(b).update(index=True),
    "index out of order": lambda b: b["log"]["entries"][1].update(index=0),
    "entry extra key": lambda b: _entry(b).update(extra=1),
    "entry missing proof": lambda b: _entry(b).pop("proof"),
    "event not a dict": lambda b: _entry(b).update(event=[1]),
    "seq negative": lambda b: _entry(b)["event"].update(seq=-1),
    "seq too large": lambda b: _entry(b)["event"].update(seq=2**53),
    "seq a float": lambda b: _entry(b)["event"].update(seq=1.5),
    "unknown type": lambda b: _entry(b)["event"].update(type="registr"),
    "type unhashable": lambda b: _entry(b)["event"].update(type=["register"]),
    "lottery id with newline": lambda b: _entry(b)["event"].update(lottery_id="A\nB"),
    "lottery id of another": lambda b: _entry(b)["event"].update(lottery_id="OTHER-1"),
    "agency with newline": lambda b: _entry(b)["event"]["data"].update(agency_id="AG\nX"),
    "agency empty": lambda b: _entry(b)["event"]["data"].update(agency_id=""),
    "agency not a string": lambda b: _entry(b)["event"]["data"].update(agency_id=7),
    "by 129 characters": lambda b: _entry(b)["event"]["data"].update(by="a" * 129),
    "register data extra": lambda b: _entry(b)["event"]["data"].update(reason="x"),
    "time 29 February 2028": lambda b: _entry(b)["event"].update(at="2028-02-29T00:00:00Z"),
    "time 30 February": lambda b: _entry(b)["event"].update(at="2026-02-30T00:00:00Z"),
    "time year 0000": lambda b: _entry(b)["event"].update(at="0000-01-01T00:00:00Z"),
    "time with newline": lambda b: _entry(b)["event"].update(at="2026-01-01T00:00:00Z\n"),
    "time going back": lambda b: _entry(b)["event"].update(at="2000-01-01T00:00:00Z"),
    "registered twice": lambda b: b["log"]["entries"][2]["event"]["data"].update(
        agency_id=b["log"]["entries"][1]["event"]["data"]["agency_id"]
    ),
    "proof not a list": lambda b: _entry(b).update(proof="x"),
    "proof element not a string": lambda b: _proof0(b).__setitem__(0, 5),
    "proof element split in two": lambda b: _entry(b).update(
        proof=[_proof0(b)[0][:20], _proof0(b)[0][20:], *_proof0(b)[1:]]
    ),
    "proof element non-ASCII": lambda b: _proof0(b).__setitem__(0, "é" * 43 + "="),
    "proof pad bits": lambda b: _proof0(b).__setitem__(0, _proof0(b)[0][:42] + "B="),
    "proof without padding": lambda b: _proof0(b).__setitem__(0, _proof0(b)[0][:43] + "A"),
    "proof of 45 symbols": lambda b: _proof0(b).__setitem__(0, _proof0(b)[0] + "="),
    "proof hashes swapped": lambda b: _proof0(b).reverse(),
    "proof element dropped": lambda b: _proof0(b).pop(),
    "freeze pool with a duplicate": lambda b: _entry(b, "freeze")["event"]["data"]["pool"].__setitem__(
        1, _entry(b, "freeze")["event"]["data"]["pool"][0]
    ),
    "freeze pool unsorted": lambda b: _entry(b, "freeze")["event"]["data"]["pool"].reverse(),
    "freeze pool one short": lambda b: _entry(b, "freeze")["event"]["data"]["pool"].pop(),
    "freeze pool one more": lambda b: _entry(b, "freeze")["event"]["data"]["pool"].append("ZZ-1"),
    "freeze pool one replaced": lambda b: _entry(b, "freeze")["event"]["data"]["pool"].__setitem__(
        -1, "ZZ-1"
    ),
    "ranking with a duplicate": lambda b: _entry(b, "draw")["event"]["data"]["ranking"].__setitem__(
        1, _entry(b, "draw")["event"]["data"]["ranking"][0]
    ),
    "ranking one short": lambda b: _entry(b, "draw")["event"]["data"]["ranking"].pop(),
    "ranking one foreign": lambda b: _entry(b, "draw")["event"]["data"]["ranking"].__setitem__(
        -1, "ZZ-1"
    ),
    "ranking reordered": lambda b: _entry(b, "draw")["event"]["data"]["ranking"].reverse(),
    "upper proof element of a middle entry": lambda b: b["log"]["entries"][3]["proof"].__setitem__(
        -1, b["log"]["entries"][3]["proof"][0]
    ),
    "lowest proof element of a middle entry": lambda b: b["log"]["entries"][4]["proof"].__setitem__(
        0, b["log"]["entries"][5]["proof"][-1]
    ),
    "proof element appended": lambda b: _proof0(b).append(_proof0(b)[0]),
    "proof element of another entry": lambda b: b["log"]["entries"][3]["proof"].__setitem__(
        0, b["log"]["entries"][7]["proof"][0]
    ),
    "proofs of two entries swapped": lambda b: _swap_proofs(b["log"]["entries"], 2, 3),
    "proof element moved to the next entry": lambda b: b["log"]["entries"][5]["proof"].insert(
        0, b["log"]["entries"][4]["proof"].pop()
    ),
    "upper proof element of the last entry": lambda b: b["log"]["entries"][-1]["proof"].__setitem__(
        -1, b["log"]["entries"][0]["proof"][-1][::-1]
    ),
    "lower proof element of the first entry": lambda b: b["log"]["entries"][0]["proof"].__setitem__(
        0, b["log"]["entries"][1]["proof"][0]
    ),
    "freeze pool bad": lambda b: _entry(b, "freeze")["event"]["data"].update(pool=["a\nb"]),
    "ticket newline": lambda b: b["record"]["tickets"].update(
        {b["record"]["pool"][0]: "0" * 63 + "\n"}
    ),
    "ticket uppercase": lambda b: b["record"]["tickets"].update({b["record"]["pool"][0]: "A" * 64}),
    "pool id with newline": lambda b: b["record"]["pool"].__setitem__(0, "x\ny"),
}


def _swap_proofs(entries: list[dict[str, Any]], i: int, j: int) -> None:
    entries[i]["proof"], entries[j]["proof"] = entries[j]["proof"], entries[i]["proof"]


_BUNDLES = {"last in the log": _BUNDLE, "first in the log": _FIRST, "interleaved": _INTERLEAVED}


@pytest.mark.parametrize("which", sorted(_BUNDLES))
@pytest.mark.parametrize("name", sorted(TARGETED))
def test_targeted_mutations_same_outcome(name: str, which: str) -> None:
    b = copy.deepcopy(_BUNDLES[which])
    try:
        TARGETED[name](b)
    except (StopIteration, IndexError):  # this bundle has no such event or element
        return
    outcome = _same(b)
    assert (outcome[0] == "FAIL") == (name != "valid"), outcome


_B64 = st.binary(min_size=32, max_size=32).map(lambda x: b2a_base64(x, newline=False).decode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_BUNDLES)), st.data())
def test_proof_changes_same_outcome(which: str, data: st.DataObject) -> None:
    """Proofs changed the ways a wrong or forged bundle could: an element replaced by another
    of the bundle's hashes or any other, swapped, moved to a neighbour's proof, dropped, added,
    or whole proofs exchanged — the bulk inclusion check and the walk agree on the outcome."""
    b = copy.deepcopy(_BUNDLES[which])
    entries = b["log"]["entries"]
    known = sorted({h for e in entries for h in e["proof"]})
    for _ in range(data.draw(st.integers(1, 3))):
        n = data.draw(st.integers(0, len(entries) - 1))
        proof = entries[n]["proof"]
        how = data.draw(st.sampled_from(["replace", "swap", "move", "drop", "add", "exchange"]))
        j = data.draw(st.integers(0, max(len(proof) - 1, 0)))
        if how == "replace" and proof:
            proof[j] = data.draw(st.sampled_from(known) | _B64)
        elif how == "swap" and len(proof) > 1:
            k = data.draw(st.integers(0, len(proof) - 1))
            proof[j], proof[k] = proof[k], proof[j]
        elif how == "move" and proof and n + 1 < len(entries):
            entries[n + 1]["proof"].insert(data.draw(st.integers(0, 1)), proof.pop(j))
        elif how == "drop" and proof:
            proof.pop(j)
        elif how == "add":
            proof.insert(j, data.draw(st.sampled_from(known) | _B64))
        elif how == "exchange":
            _swap_proofs(entries, n, data.draw(st.integers(0, len(entries) - 1)))
    _same(b)


def _paths(x: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(x, dict):
        out += [p for k, v in x.items() for p in _paths(v, (*path, k))]
    elif isinstance(x, list):
        out += [p for i, v in enumerate(x) for p in _paths(v, (*path, i))]
    return out


_LOG_PATHS = [p for p in _paths(_BUNDLE["log"]["entries"]) if p]
values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**60) | st.text(max_size=5)
    | st.sampled_from(["AG-1", "a\nb", "2026-11-30T02:00:00Z", "register", "withdraw"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=6,
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_LOG_PATHS), values)
def test_any_log_subtree_replaced_same_outcome(path: tuple[Any, ...], value: Any) -> None:
    b = copy.deepcopy(_BUNDLE)
    target = b["log"]["entries"]
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    _same(b)


ids = st.text(alphabet="AZaz09._:-\n é", min_size=0, max_size=6)


@given(st.lists(ids | st.integers(), max_size=6))
def test_all_identifiers_is_is_identifier_for_each(items: list[Any]) -> None:
    assert all_identifiers(items) == all(map(is_identifier, items))


@given(st.lists(st.sampled_from(["2026-02-28T23:59:59Z", "2028-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
                                 "2026-13-01T00:00:00Z", "2026-01-01T00:00:00Z\n", "x", ""]),
                max_size=5))  # fmt: skip
def test_easy_times_pass_check_time(items: list[str]) -> None:
    if all_easy_times(items):
        for x in items:
            check_time(x, "t")


@given(st.lists(st.text(alphabet="AZaz09-é\u0301", min_size=1, max_size=4), max_size=8))
def test_canonical_pool_and_tickets_match_their_definitions(raw: list[str]) -> None:
    def slow_pool(xs: list[str]) -> list[str]:
        normalized = sorted(utf8(i) for i in xs)
        if len(set(normalized)) != len(normalized):
            raise Invalid("duplicate")
        return [b.decode("utf-8") for b in normalized]

    try:
        expected = slow_pool(raw)
    except Invalid:
        with pytest.raises(Invalid):
            canonical_pool(raw)
        return
    assert canonical_pool(raw) == expected
    key = b"k" * 32
    assert tickets(key, expected) == {
        i: hmac.digest(key, _TICKET_TAG + enc(utf8(i)), "sha256") for i in expected
    }
    assert pool_root(expected) == mth([utf8(i) for i in expected])


@given(
    st.sampled_from(["AG-1", "x.y:z", "A" * 128]),
    st.sampled_from(["u-1", "Z"]),
    st.integers(0, 2**53 - 1),
    st.sampled_from(["2026-01-31T23:59:59Z", "2028-02-29T12:00:00Z"]),
)
def test_register_leaf_data_is_cjson(agency: str, by: str, seq: int, at: str) -> None:
    event = {"type": "register", "seq": seq, "lottery_id": "LT-1", "at": at,
             "data": {"by": by, "agency_id": agency}}  # fmt: skip
    assert cjson_checked_event(event) == cjson(event)
    assert leaf_hashes_of_checked([event]) == [leaf_hash(cjson(event))]


def test_leaf_hashes_of_every_kind_of_event() -> None:
    events = [e["event"] for b in _BUNDLES.values() for e in b["log"]["entries"]]
    assert {e["type"] for e in events} >= {"announce", "register", "withdraw", "exclude",
                                           "freeze", "entropy", "draw", "decline"}
    assert leaf_hashes_of_checked(events) == [leaf_hash(cjson(e)) for e in events]
