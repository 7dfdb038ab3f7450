"""A drand-based plan, a regulator's void after the draw, and the verifier's output lines."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from lottery.encoding import format_time
from lottery.errors import CheckFailed, Invalid
from lottery.sources import check_source, public_time
from lottery.verify import verify_bundle
from tests.lottery.lottery_helpers import START
from tests.support.lottery_history import Platform

QUICKNET = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
GENESIS, PERIOD = 1692803367, 3


def t(minutes: int) -> str:
    return format_time(START + timedelta(minutes=minutes))


def _drand_entry(at_unix: int) -> dict[str, object]:
    rnd = (at_unix - GENESIS) // PERIOD + 1
    return {"kind": "drand", "label": "drand quicknet", "chain": QUICKNET, "genesis": GENESIS,
            "period": PERIOD, "round": rnd}  # fmt: skip


def test_drand_plan_and_void_after_draw() -> None:
    p = Platform()
    closes = START + timedelta(days=1)
    entry = _drand_entry(int((closes + timedelta(hours=2)).timestamp()))
    plan = [{"kind": "witness", "label": "监管员"}, entry]
    p.announce("L-D", "RQ-D", 2, format_time(closes), plan, t(0),
               extra={"project": "某某项目", "fee_cap_fen": 1_000_000})  # fmt: skip
    for i in range(5):
        p.register("L-D", f"AG-{i}", t(1))
    p.freeze("L-D", t(24 * 60))
    p.entropy("L-D", {**plan[0], "value": "123456"}, t(24 * 60 + 1), "reg-1")
    sig = bytes(range(48))
    source = {**entry, "signature": sig.hex(), "value": hashlib.sha256(sig).hexdigest()}
    at = public_time(source)
    p.entropy("L-D", source, at, "system")
    p.draw("L-D", at)
    p.void("L-D", at, "regulator-7", "objection upheld")
    result = verify_bundle(p.bundle("L-D"))
    lines = result.lines()
    assert lines[0].startswith("OK VOID L-D winners=[")
    assert lines[1] == (f"external drand quicknet public_at={at} value={source['value']}"
                        f" chain={QUICKNET} round={entry['round']}")  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"value": "00" * 32},
        {"signature": "00" * 47},
        {"genesis": GENESIS + 1},
        {"period": 30},
        {"chain": "00" * 32},
        {"round": 0},
        {"extra": 1},
    ],
)
def test_bad_drand_sources(change: dict[str, object]) -> None:
    sig = bytes(48)
    good = {**_drand_entry(1_800_000_000), "signature": sig.hex(),
            "value": hashlib.sha256(sig).hexdigest()}  # fmt: skip
    assert check_source(good) == "drand"
    with pytest.raises(Invalid):
        check_source({**good, **change})


@pytest.mark.parametrize(
    "value",
    ["3 7 12 19 25 31 + 09", "7 3 12 19 25 31 + 9", "3 7 12 19 25 + 9", "3  7 12 19 25 31 + 9",
     "3 7 12 19 25 31+9", "3 7 12 19 25 31 + 9 ", "3 7 12 19 25 31 + -9"],
)
def test_public_lottery_has_one_spelling(value: str) -> None:
    base = {"kind": "public_lottery", "label": "福彩双色球 2026138期", "groups": [6, 1],
            "available_at": "2026-12-01T13:15:00Z"}  # fmt: skip
    assert check_source({**base, "value": "3 7 7 19 25 31 + 9"}) == "public_lottery"
    with pytest.raises(Invalid):
        check_source({**base, "value": value})


def test_witness_entered_twice_by_one_account_fails_sequence() -> None:
    p = Platform()
    closes = START + timedelta(days=1)
    plan = [{"kind": "witness", "label": "a"}, {"kind": "witness", "label": "b"},
            {"kind": "public_lottery", "label": "x", "groups": [1],
             "available_at": format_time(closes + timedelta(hours=1))}]  # fmt: skip
    p.announce("L-W", "RQ-W", 1, format_time(closes), plan, t(0))
    p.register("L-W", "AG-1", t(1))
    p.freeze("L-W", t(24 * 60))
    p.entropy("L-W", {**plan[0], "value": "123456"}, t(24 * 60 + 1), "same")
    with pytest.raises(Invalid):
        p.entropy("L-W", {**plan[1], "value": "654321"}, t(24 * 60 + 2), "same")
    p.emit_raw("entropy", "L-W", t(24 * 60 + 2), {"source": {**plan[1], "value": "654321"},
               "entered_by": "same"})  # fmt: skip
    p.emit_raw("entropy", "L-W", t(24 * 60 + 60), {"source": {**plan[2], "value": "4"},
               "entered_by": "system"})  # fmt: skip
    from lottery.audit import audit_log
    from lottery.note import raw_public_key

    with pytest.raises(CheckFailed) as info:
        audit_log(p.export_jsonl(), raw_public_key(p.key.public_key()))
    assert info.value.check == "sequence"
