"""One label, one value: an external result named twice in the log, or a plan naming one label
twice, fails (``audit-log`` over the whole log, ``verify`` over one bundle)."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.audit import audit_log
from lottery.bundle import build_record
from lottery.draw import canonical_pool, commitment, pool_root
from lottery.encoding import V, format_time
from lottery.errors import CheckFailed
from lottery.events import record_hash
from lottery.note import raw_public_key
from lottery.sources import public_time
from lottery.verify import verify_bundle
from tests.lottery.lottery_helpers import START
from tests.support.lottery_history import Platform

QUICKNET = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
GENESIS, PERIOD = 1692803367, 3


def t(minutes: int) -> str:
    return format_time(START + timedelta(minutes=minutes))


def _ssq(label: str, groups: tuple[int, ...] = (6, 1)) -> dict[str, Any]:
    return {"kind": "public_lottery", "label": label, "groups": list(groups),
            "available_at": t(24 * 60 + 6 * 60)}  # fmt: skip


def _drand(label: str) -> dict[str, Any]:
    at = int((START + timedelta(days=1, hours=6)).timestamp())
    return {"kind": "drand", "label": label, "chain": QUICKNET, "genesis": GENESIS,
            "period": PERIOD, "round": (at - GENESIS) // PERIOD + 2}  # fmt: skip


def _drand_value(seed: int) -> dict[str, str]:
    sig = hashlib.sha256(seed.to_bytes(4, "big")).digest() + bytes(16)
    return {"signature": sig.hex(), "value": hashlib.sha256(sig).hexdigest()}


Spec = tuple[str, dict[str, Any], dict[str, Any], str]  # id, plan entry, value keys, witness


def _lotteries(p: Platform, specs: list[Spec], day: int = 0) -> None:
    """Complete lotteries on one timeline (shifted by ``day`` days), their steps interleaved
    as on a real platform: they share their external results' public times."""
    def at(minutes: int) -> str:
        return t(day * 24 * 60 + minutes)

    closes = START + timedelta(days=day + 1)
    plans = {}
    for lottery_id, external, _filled, _w in specs:
        external = {**external}
        if external["kind"] == "public_lottery":
            external["available_at"] = at(24 * 60 + 6 * 60)
        plans[lottery_id] = [{"kind": "witness", "label": "见证人1"}, external]
        p.announce(lottery_id, f"RQ-{lottery_id}", 1, format_time(closes), plans[lottery_id],
                   at(0))  # fmt: skip
    for lottery_id, *_rest in specs:
        for a in ("AG-1", "AG-2", "AG-3"):
            p.register(lottery_id, a, at(1))
    for lottery_id, *_rest in specs:
        p.freeze(lottery_id, at(24 * 60 + 1))
    for lottery_id, _e, _f, witness_value in specs:
        p.entropy(lottery_id, {**plans[lottery_id][0], "value": witness_value},
                  at(24 * 60 + 2), "w-1")  # fmt: skip
    late = max(at(24 * 60 + 7 * 60), *(public_time(pl[1]) for pl in plans.values()))
    for lottery_id, _e, filled, _w in specs:
        p.entropy(lottery_id, {**plans[lottery_id][1], **filled}, late, "op-1")
        p.draw(lottery_id, late)


def _audit(p: Platform) -> None:
    audit_log(p.export_jsonl(), raw_public_key(p.key.public_key()))


def test_one_issue_in_two_lotteries_with_one_result_audits() -> None:
    p = Platform()
    _lotteries(p, [("L-1", _ssq("福彩双色球 2026138期"), {"value": "3 7 12 19 25 31 + 9"}, "123456"),
                   ("L-2", _ssq("福彩双色球 2026138期"), {"value": "3 7 12 19 25 31 + 9"}, "123456")])
    _audit(p)


def test_one_issue_with_two_results_fails_sequence() -> None:
    p = Platform()
    _lotteries(p, [("L-1", _ssq("福彩双色球 2026138期"), {"value": "3 7 12 19 25 31 + 9"}, "123456")])
    # a later lottery (its own dates) logging the same issue with another result
    _lotteries(p, [("L-2", _ssq("福彩双色球 2026138期"), {"value": "1 2 3 4 5 6 + 7"}, "123456")], 2)
    with pytest.raises(CheckFailed) as info:
        _audit(p)
    assert info.value.check == "sequence"
    assert "福彩双色球 2026138期" in info.value.reason


def test_one_drand_round_with_two_values_fails_whatever_the_labels() -> None:
    p = Platform()
    _lotteries(p, [("L-1", _drand("drand A"), _drand_value(1), "123456"),
                   ("L-2", _drand("drand B"), _drand_value(2), "123456")])
    with pytest.raises(CheckFailed) as info:
        _audit(p)
    assert info.value.check == "sequence" and "drand" in info.value.reason


def test_witness_labels_repeat_across_lotteries() -> None:
    p = Platform()
    _lotteries(p, [("L-1", _ssq("福彩3D 2026300期", (3,)), {"value": "1 1 9"}, "111111"),
                   ("L-2", _ssq("福彩3D 2026300期", (3,)), {"value": "1 1 9"}, "222222")])
    _audit(p)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["A", "B"]), st.sampled_from(["A", "B"]),
       st.sampled_from(["1 2 3 4 5 6 + 7", "1 2 3 4 5 6 + 8"]),
       st.sampled_from(["1 2 3 4 5 6 + 7", "1 2 3 4 5 6 + 8"]))  # fmt: skip
def test_audit_fails_exactly_when_a_label_has_two_values(
        label_1: str, label_2: str, value_1: str, value_2: str) -> None:  # fmt: skip
    p = Platform()
    _lotteries(p, [("L-1", _ssq(label_1), {"value": value_1}, "123456"),
                   ("L-2", _ssq(label_2), {"value": value_2}, "123456")])
    if label_1 == label_2 and value_1 != value_2:
        with pytest.raises(CheckFailed) as info:
            _audit(p)
        assert info.value.check == "sequence"
    else:
        _audit(p)


def _unchecked_lottery(p: Platform, plan: list[dict[str, Any]],
                       values: list[dict[str, Any]]) -> None:
    """A lottery logged without the §7 state machine (its plan may break §5)."""
    lottery_id, closes = "L-X", START + timedelta(days=1)
    secret = os.urandom(32)
    ann = {"v": V, "lottery_id": lottery_id, "request_id": "RQ-X", "replaces": None, "k": 1,
           "signup_closes_at": format_time(closes),
           "commitment": commitment(lottery_id, secret).hex(), "entropy_plan": plan}
    p.emit_raw("announce", lottery_id, t(0), {"announcement": ann})
    pool = canonical_pool(["AG-1", "AG-2"])
    for a in pool:
        p.emit_raw("register", lottery_id, t(1), {"agency_id": a, "by": f"u-{a}"})
    p.emit_raw("freeze", lottery_id, t(24 * 60 + 1), {"pool": pool,
                                                       "pool_root": pool_root(pool).hex()})
    sources = [{**e, **v} for e, v in zip(plan, values, strict=True)]
    for i, s in enumerate(sources):
        p.emit_raw("entropy", lottery_id, t(24 * 60 + 2 + 7 * 60 * (s["kind"] != "witness")),
                   {"source": s, "entered_by": f"u-{i}"})
    record = build_record(ann, secret, sources, pool, t(24 * 60 + 8 * 60))
    p.emit_raw("draw", lottery_id, record["drawn_at"], {
        "record_hash": record_hash(record).hex(), "ranking": record["ranking"]})
    p.announcements[lottery_id], p.secrets[lottery_id] = ann, secret
    p.records[lottery_id] = record


@pytest.mark.parametrize("plan, values", [
    ([{"kind": "witness", "label": "见证人1"}, _ssq("福彩双色球 2026138期"),
      _ssq("福彩双色球 2026138期")],
     [{"value": "123456"}, {"value": "1 2 3 4 5 6 + 7"}, {"value": "1 2 3 4 5 6 + 8"}]),
    ([{"kind": "witness", "label": "见证人1"}, {"kind": "witness", "label": "见证人1"},
      _ssq("福彩双色球 2026138期")],
     [{"value": "123456"}, {"value": "654321"}, {"value": "1 2 3 4 5 6 + 7"}]),
])  # fmt: skip
def test_a_plan_naming_one_label_twice_fails(plan: list[dict[str, Any]],
                                              values: list[dict[str, Any]]) -> None:
    p = Platform()
    _unchecked_lottery(p, plan, values)
    with pytest.raises(CheckFailed) as info:
        verify_bundle(p.bundle("L-X"))
    assert info.value.check == "sources" and "label" in info.value.reason
    with pytest.raises(CheckFailed) as info:
        _audit(p)
    assert info.value.check == "sequence" and "label" in info.value.reason
