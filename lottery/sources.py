"""Entropy sources and the entropy plan (spec §5).

Per-source rules (``check_source``) are shared by ``rank``, the verifier and ``audit-log``;
plan-level rules (order, ``T``) are in ``check_plan``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from lottery.encoding import (
    JSON,
    check_hex,
    check_int,
    check_keys,
    check_list,
    check_object,
    check_str,
    check_text,
    check_time,
    cjson,
    time_from_unix,
)
from lottery.errors import Invalid


@dataclass(frozen=True)
class DrandChain:
    genesis: int
    period: int
    signature_bytes: int


DRAND_CHAINS: dict[str, DrandChain] = {
    "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce": DrandChain(
        1595431050, 30, 96
    ),
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971": DrandChain(
        1692803367, 3, 48
    ),
}

SOURCE_KEYS: dict[str, frozenset[str]] = {
    "witness": frozenset({"kind", "label", "value"}),
    "public_lottery": frozenset({"kind", "label", "groups", "available_at", "value"}),
    "drand": frozenset(
        {"kind", "label", "chain", "genesis", "period", "round", "signature", "value"}
    ),
}
# What the plan leaves out: the values nobody can know at announcement.
HIDDEN_IN_PLAN: dict[str, frozenset[str]] = {
    "witness": frozenset({"value"}),
    "public_lottery": frozenset({"value"}),
    "drand": frozenset({"value", "signature"}),
}
_WITNESS_RE = re.compile(r"[0-9]{6,32}")
_NUMBER_RE = re.compile(r"0|[1-9][0-9]*")


def _check_public_lottery_value(value: object, groups: list[int]) -> None:
    """Exactly one spelling: ``a b c + d``, no leading zeros, each group non-decreasing."""
    text = check_str(value, "public_lottery value")
    parts = text.split(" + ")
    if len(parts) != len(groups):
        raise Invalid(f"public_lottery value must have {len(groups)} group(s) joined by ' + '")
    for part, size in zip(parts, groups, strict=True):
        numbers = part.split(" ")
        if len(numbers) != size or not all(_NUMBER_RE.fullmatch(n) for n in numbers):
            raise Invalid(
                f"each group must be {size} decimal number(s) without leading zeros,"
                " one space apart"
            )
        # Long digit strings are valid spellings of huge numbers, but compare lengths first so
        # that int() is never asked for thousands of digits.
        keys = [(len(n), n) for n in numbers]
        if keys != sorted(keys):
            raise Invalid("the numbers of each group must be in non-decreasing order")


def _check_entry(obj: dict[str, JSON], with_values: bool) -> str:
    """Check a source (``with_values``) or a plan entry; returns the kind."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in SOURCE_KEYS:
        raise Invalid("kind must be witness, public_lottery or drand")
    keys = SOURCE_KEYS[kind] if with_values else SOURCE_KEYS[kind] - HIDDEN_IN_PLAN[kind]
    check_keys(obj, keys, f"{kind} source" if with_values else f"{kind} plan entry")
    check_text(obj["label"], "label", 1, 64)
    if kind == "witness":
        if with_values and not (
            isinstance(obj["value"], str) and _WITNESS_RE.fullmatch(obj["value"])
        ):
            raise Invalid("a witness value is 6-32 ASCII digits")
    elif kind == "public_lottery":
        groups = check_list(obj["groups"], "groups")
        if not groups:
            raise Invalid("groups must not be empty")
        for g in groups:
            check_int(g, "group size", 1)
        check_time(obj["available_at"], "available_at")
        if with_values:
            _check_public_lottery_value(obj["value"], groups)
    else:
        chain = obj["chain"]
        if not isinstance(chain, str) or chain not in DRAND_CHAINS:
            raise Invalid("unknown drand chain")
        info = DRAND_CHAINS[chain]
        if obj["genesis"] != info.genesis or type(obj["genesis"]) is not int:
            raise Invalid("drand genesis does not match the chain")
        if obj["period"] != info.period or type(obj["period"]) is not int:
            raise Invalid("drand period does not match the chain")
        check_int(obj["round"], "drand round", 1)
        public_time(obj)  # the round's time must be representable
        if with_values:
            sig = check_hex(obj["signature"], "drand signature")
            if len(sig) != info.signature_bytes:
                raise Invalid(f"drand signature must be {info.signature_bytes} bytes")
            value = check_hex(obj["value"], "drand value")
            if len(value) != 32 or value != hashlib.sha256(sig).digest():
                raise Invalid("drand value is not the hash of its signature")
    return kind


def check_source(source: object) -> str:
    """Per-source rules of §5; returns the kind."""
    return _check_entry(check_object(source, "source"), with_values=True)


def check_plan_entry(entry: object) -> str:
    return _check_entry(check_object(entry, "plan entry"), with_values=False)


def public_time(entry: dict[str, Any]) -> str:
    """When an external value becomes public (a valid entry is assumed)."""
    if entry["kind"] == "public_lottery":
        return str(entry["available_at"])
    seconds = entry["genesis"] + (entry["round"] - 1) * entry["period"]
    return time_from_unix(seconds)


def plan_entry_of(source: dict[str, JSON]) -> dict[str, JSON]:
    """The plan entry a source fills: the source without its value (and drand signature)."""
    hidden = HIDDEN_IN_PLAN.get(str(source.get("kind")), frozenset({"value"}))
    return {k: v for k, v in source.items() if k not in hidden}


def check_plan(plan: object, signup_closes_at: str) -> str:
    """Plan-level rules: labels pairwise different, witnesses first, then externals,
    ``T > signup_closes_at``; returns T."""
    entries = check_list(plan, "entropy_plan")
    kinds = [check_plan_entry(e) for e in entries]
    # A label names one source: two entries under one label would let one name stand for two
    # values (a game's issue drawn twice, a witness counted twice).
    seen: set[str] = set()
    for e in entries:
        label = e["label"]
        if label in seen:
            raise Invalid(f"two plan entries share the label {label!r}")
        seen.add(label)
    n_witness = 0
    while n_witness < len(kinds) and kinds[n_witness] == "witness":
        n_witness += 1
    if n_witness == 0:
        raise Invalid("the plan must start with one or more witness entries")
    if n_witness == len(kinds) or "witness" in kinds[n_witness:]:
        raise Invalid("the witnesses must be followed by one or more external entries")
    t = min(public_time(e) for e in entries[n_witness:])
    if not t > signup_closes_at:
        raise Invalid(f"T ({t}) must be later than signup_closes_at ({signup_closes_at})")
    return t


def check_sources_against_plan(sources: object, plan: list[JSON]) -> None:
    """Each source valid and equal to its plan entry plus the value, in plan order."""
    items = check_list(sources, "sources")
    if len(items) != len(plan):
        raise Invalid(f"{len(items)} sources for a plan of {len(plan)} entries")
    for i, (source, entry) in enumerate(zip(items, plan, strict=True)):
        check_source(source)
        if cjson(plan_entry_of(source)) != cjson(entry):
            raise Invalid(f"source {i} differs from its plan entry")
