"""The bundle verifier: a valid bundle passes; every single-field mutation fails by name."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lottery.errors import CheckFailed
from lottery.verify import CHECKS, verify_bundle
from tests.lottery.lottery_helpers import LOTTERY, make_platform

Mutation = tuple[str, Callable[[dict[str, Any]], None], str]


def _flip_hex(s: str) -> str:
    return ("1" if s[0] == "0" else "0") + s[1:]


def _flip_b64(s: str) -> str:
    raw = bytearray(base64.b64decode(s))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(b: dict[str, Any]) -> None:
        target = b
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value

    return apply


def mutations(b: dict[str, Any]) -> list[Mutation]:
    """One mutation per field, each with the check that must catch it first."""
    rec, ann = b["record"], b["announcement"]
    out: list[Mutation] = []
    # Every announcement key changes the announcement hash.
    ann_changes = {
        "v": "agency-lottery/v0", "lottery_id": "ZJ-2026-999999", "request_id": "RQ-other",
        "replaces": "ZJ-2025-000001", "k": 3, "signup_closes_at": "2026-11-30T01:00:01Z",
        "commitment": _flip_hex(ann["commitment"]),
        "entropy_plan": [{**ann["entropy_plan"][0], "label": "另一人"}, *ann["entropy_plan"][1:]],
    }  # fmt: skip
    assert set(ann_changes) == set(ann)
    for key, value in ann_changes.items():
        expect = "format" if key == "v" else "announcement"
        out.append((f"announcement.{key}", _set(("announcement", key), value), expect))
    first = rec["pool"][0]
    rec_changes: dict[str, tuple[Any, str]] = {
        "v": ("agency-lottery/v0", "format"),
        "lottery_id": ("ZJ-2026-999999", "announcement"),
        "announcement_hash": (_flip_hex(rec["announcement_hash"]), "announcement"),
        "k": (rec["k"] + 1, "announcement"),
        "pool": (rec["pool"][:-1], "pool"),
        "pool_root": (_flip_hex(rec["pool_root"]), "pool"),
        "commitment": (_flip_hex(rec["commitment"]), "announcement"),
        "secret": (_flip_hex(rec["secret"]), "commitment"),
        "sources": ([{**rec["sources"][0], "value": "12345678"}, *rec["sources"][1:]],
                    "derivation"),
        "draw_key": (_flip_hex(rec["draw_key"]), "derivation"),
        "tickets": ({**rec["tickets"], first: _flip_hex(rec["tickets"][first])}, "derivation"),
        "ranking": ([rec["ranking"][1], rec["ranking"][0], *rec["ranking"][2:]], "derivation"),
        "winners": (rec["ranking"][1 : rec["k"] + 1], "derivation"),
        "drawn_at": ("2026-11-30T07:06:01Z", "signature"),
    }  # fmt: skip
    assert set(rec_changes) == set(rec)
    for key, (value, expect) in rec_changes.items():
        out.append((f"record.{key}", _set(("record", key), value), expect))
    out += [
        ("record.secret short", _set(("record", "secret"), rec["secret"][:-2]), "commitment"),
        ("record.pool order", _set(("record", "pool"), rec["pool"][::-1]), "pool"),
        ("record.sources label", _set(("record", "sources"),
         [{**rec["sources"][0], "label": "x"}, *rec["sources"][1:]]), "sources"),
        ("record.tickets keys", _set(("record", "tickets"),
         {k: v for k, v in rec["tickets"].items() if k != first}), "derivation"),
        ("signature", _set(("signature",), _flip_b64), "signature"),
        ("signature length", _set(("signature",), base64.b64encode(b"x" * 63).decode()),
         "signature"),
        ("public_key", _set(("public_key",), _flip_b64), "signature"),
        ("log.origin", _set(("log", "origin"), "other.example/log"), "checkpoint"),
        ("log.key_name", _set(("log", "key_name"), "other.example"), "checkpoint"),
        ("checkpoint size", _set(("log", "checkpoint"),
         lambda c: c.replace("\n", "\n1", 1)), "checkpoint"),
        ("checkpoint root", _set(("log", "checkpoint"), _checkpoint_root_flip), "checkpoint"),
    ]  # fmt: skip
    for i, entry in enumerate(b["log"]["entries"]):
        out.append((f"entry {i} at", _set(("log", "entries", i, "event", "at"),
                    "2026-11-29T01:00:59Z"), "inclusion"))  # fmt: skip
        out.append((f"entry {i} seq", _set(("log", "entries", i, "event", "seq"),
                    entry["index"] + 1), "inclusion"))  # fmt: skip
        for j in range(len(entry["proof"])):
            out.append((f"entry {i} proof {j}", _set(("log", "entries", i, "proof", j),
                        _flip_b64), "inclusion"))  # fmt: skip
    return out


def _checkpoint_root_flip(note: str) -> str:
    origin, size, root, rest = note.split("\n", 3)
    return "\n".join([origin, size, _flip_b64(root), rest])


def test_valid_bundle_passes(bundle: dict[str, Any]) -> None:
    result = verify_bundle(bundle, base64.b64decode(bundle["public_key"]))
    assert result.passed == list(CHECKS)
    assert result.declines == 1 and not result.voided
    assert len(result.winners) == 2 and len(result.selected) == 2
    assert result.selected != result.winners
    assert result.lines()[0].startswith(f"OK {LOTTERY} winners=[")


def test_every_single_field_mutation_is_caught(bundle: dict[str, Any]) -> None:
    muts = mutations(bundle)
    assert len(muts) > 60
    for name, mutate, expected in muts:
        b = copy.deepcopy(bundle)
        mutate(b)
        with pytest.raises(CheckFailed) as info:
            verify_bundle(b)
        assert info.value.check == expected, f"{name}: {info.value}"


def test_pinned_key_mismatch(bundle: dict[str, Any]) -> None:
    with pytest.raises(CheckFailed) as info:
        verify_bundle(bundle, b"\x01" * 32)
    assert info.value.check == "signature"


def test_removed_entry_breaks_sequence(bundle: dict[str, Any]) -> None:
    entries = bundle["log"]["entries"]
    for i in range(len(entries) - 1):  # the trailing decline may be cut: bundles prove what
        b = copy.deepcopy(bundle)  # they contain; audit-log shows nothing was left out
        del b["log"]["entries"][i]
        with pytest.raises(CheckFailed) as info:
            verify_bundle(b)
        assert info.value.check == "sequence", i


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("log"),
        lambda b: b.update(extra=1),
        lambda b: b["record"].update(k=1.0),
        lambda b: b["record"].update(k=True),
        lambda b: b["record"].update(k=-1),
        lambda b: b["record"].update(pool_root=b["record"]["pool_root"].upper()),
        lambda b: b["record"].update(drawn_at="2026-02-30T00:00:00Z"),
        lambda b: b["announcement"].update(note="e\u0301"),
        lambda b: b["log"]["entries"].reverse(),
        lambda b: b["log"].update(origin="has space"),
        lambda b: b["log"]["entries"][0]["event"]["data"].update(extra="x"),
        lambda b: b.update(signature=b["signature"] + "\n"),
    ],
)
def test_format_failures(bundle: dict[str, Any], mutate: Callable[[dict[str, Any]], Any]) -> None:
    mutate(bundle)
    with pytest.raises(CheckFailed) as info:
        verify_bundle(bundle)
    assert info.value.check == "format"


def _string_paths(x: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(x, str):
        return [path]
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in _string_paths(v, (*path, k))]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in _string_paths(v, (*path, i))]
    return []


_BUNDLE = make_platform().bundle(LOTTERY)
_PATHS = _string_paths(_BUNDLE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PATHS), st.text(max_size=8))
def test_any_string_change_is_rejected(path: tuple[Any, ...], text: str) -> None:
    b = copy.deepcopy(_BUNDLE)
    target = b
    for p in path[:-1]:
        target = target[p]
    old = target[path[-1]]
    new = old + text if text else old[:-1]
    if new == old:
        return
    target[path[-1]] = new
    with pytest.raises(CheckFailed):
        verify_bundle(b)


def _all_paths(x: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(x, dict):
        out += [p for k, v in x.items() for p in _all_paths(v, (*path, k))]
    elif isinstance(x, list):
        out += [p for i, v in enumerate(x[:3]) for p in _all_paths(v, (*path, i))]
    return out


_ANY_PATHS = [p for p in _all_paths(_BUNDLE) if p]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 2**60) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_ANY_PATHS), json_values)
def test_any_subtree_replaced_fails_cleanly(path: tuple[Any, ...], value: Any) -> None:
    """Wrong shapes anywhere: a named failure, never another exception."""
    b = copy.deepcopy(_BUNDLE)
    target = b
    for p in path[:-1]:
        target = target[p]
    if target[path[-1]] == value:
        return
    target[path[-1]] = value
    with pytest.raises(CheckFailed):
        verify_bundle(b)
