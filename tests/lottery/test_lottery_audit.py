"""audit-log over whole-log exports, and the §7 rules across lotteries."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.audit import audit_log
from lottery.encoding import cjson, format_time
from lottery.errors import CheckFailed
from lottery.note import raw_public_key, sign_checkpoint
from tests.lottery.lottery_helpers import START, make_platform
from tests.support.lottery_history import Platform, default_plan, run_lottery


def _pub(p: Platform) -> bytes:
    return raw_public_key(p.key.public_key())


def _check(p: Platform, old: str | None = None) -> str:
    with pytest.raises(CheckFailed) as info:
        audit_log(p.export_jsonl(), _pub(p), old)
    return info.value.check


def t(minutes: int) -> str:
    return format_time(START + timedelta(minutes=minutes))


def test_valid_log_and_old_checkpoints() -> None:
    p = make_platform()
    for size in (0, 1, 7, p.log.size):
        result = audit_log(p.export_jsonl(), _pub(p), p.checkpoint(size))
        assert (result.size, result.root) == (p.log.size, p.log.root())


def test_checkpoint_and_consistency_failures() -> None:
    p = make_platform()
    data, pub = p.export_jsonl(), _pub(p)
    too_big = sign_checkpoint(p.key, "x", "o", p.log.size + 1, p.log.root())
    other_root = sign_checkpoint(p.key, "x", "o", 5, p.log.root(6))
    for note, check in ((too_big, "checkpoint"), (other_root, "consistency"),
                        (Platform().checkpoint(), "checkpoint"), ("junk\n", "checkpoint")):
        with pytest.raises(CheckFailed) as info:
            audit_log(data, pub, note)
        assert info.value.check == check


@pytest.mark.parametrize(
    "edit",
    [
        lambda lines: lines.__setitem__(3, lines[3].replace(b'"seq":3', b'"seq":4')),
        lambda lines: lines.__setitem__(3, lines[3].replace(b'{"', b'{ "', 1)),
        lambda lines: lines.__setitem__(3, b"[]"),
        lambda lines: lines.__setitem__(3, b"{"),
        lambda lines: lines.insert(3, b""),
    ],
)
def test_format_failures(edit: object) -> None:
    p = make_platform()
    lines = p.export_jsonl().split(b"\n")[:-1]
    edit(lines)  # type: ignore[operator]
    with pytest.raises(CheckFailed) as info:
        audit_log(b"\n".join(lines) + b"\n", _pub(p))
    assert info.value.check == "format"


def _announced(p: Platform, lottery_id: str = "L-1", at: int = 0, replaces: str | None = None,
               request_id: str = "RQ-1") -> None:  # fmt: skip
    closes = START + timedelta(days=1)
    p.announce(lottery_id, request_id, 1, format_time(closes), default_plan(closes, 1), t(at),
               replaces=replaces)  # fmt: skip


def test_rule_violations_are_sequence_failures() -> None:
    cases = []
    p = Platform()  # event for a lottery never announced
    p.emit_raw("register", "L-9", t(0), {"agency_id": "AG-1", "by": "u1"})
    cases.append(p)
    p = Platform()  # a register twice
    _announced(p)
    p.register("L-1", "AG-1", t(1))
    p.emit_raw("register", "L-1", t(2), {"agency_id": "AG-1", "by": "u1"})
    cases.append(p)
    p = Platform()  # register after sign-up closed
    _announced(p)
    p.emit_raw("register", "L-1", t(24 * 60 + 1), {"agency_id": "AG-1", "by": "u1"})
    cases.append(p)
    p = Platform()  # freeze whose pool misses a registrant
    _announced(p)
    p.register("L-1", "AG-1", t(1))
    p.register("L-1", "AG-2", t(1))
    p.emit_raw("freeze", "L-1", t(24 * 60 + 1), {"pool": ["AG-1"], "pool_root": "00" * 32})
    cases.append(p)
    p = Platform()  # time going backwards
    _announced(p)
    p.emit_raw("register", "L-1", t(-1), {"agency_id": "AG-1", "by": "u1"})
    cases.append(p)
    p = Platform()  # system void after the freeze, before T, without a reason to
    _announced(p)
    p.register("L-1", "AG-1", t(1))
    p.freeze("L-1", t(24 * 60 + 1))
    p.emit_raw("void", "L-1", t(24 * 60 + 2), {"reason": "r", "decided_by": "system"})
    cases.append(p)
    p = Platform()  # a second lottery for the same request without `replaces`
    _announced(p)
    _announced(p, "L-2")
    cases.append(p)
    p = Platform()  # abandoned: open 7 days after T
    _announced(p)
    run_lottery(p, "L-late", ["AG-1"], START + timedelta(days=9))
    cases.append(p)
    for i, case in enumerate(cases):
        assert _check(case) == "sequence", i


def test_void_and_replace_chain() -> None:
    p = Platform()
    _announced(p)
    p.void("L-1", t(5), "system", "too few eligible registrants")
    _announced(p, "L-2", at=5, replaces="L-1")
    p.register("L-2", "AG-1", t(6))
    assert audit_log(p.export_jsonl(), _pub(p)).size == 4
    p.emit_raw("announce", "L-3", t(7), {"announcement": {
        **p.announcements["L-2"], "lottery_id": "L-3"}})  # fmt: skip  # L-2 is still open, and L-1 was replaced already
    assert _check(p) == "sequence"


def test_missing_witness_void_by_system_after_t() -> None:
    p = Platform()
    _announced(p)
    p.register("L-1", "AG-1", t(1))
    p.freeze("L-1", t(24 * 60 + 1))
    p.void("L-1", t(24 * 60 + 7 * 60), "system", "witness did not attend")
    assert audit_log(p.export_jsonl(), _pub(p)).size == 4


def test_export_is_cjson_lines() -> None:
    p = make_platform()
    lines = p.export_jsonl().split(b"\n")[:-1]
    assert lines == [cjson(e) for e in p.events]
    assert base64.b64encode(p.log.root())


_PLATFORM = make_platform()
_LINES = _PLATFORM.export_jsonl().split(b"\n")[:-1]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_LINES) - 1), st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_any_line_replaced_fails_cleanly(i: int, junk: bytes) -> None:
    lines = list(_LINES)
    if lines[i] == junk:
        return
    lines[i] = junk.replace(b"\n", b" ")
    with pytest.raises(CheckFailed):
        audit_log(b"\n".join(lines) + b"\n", _pub(_PLATFORM))
