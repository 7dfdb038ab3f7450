"""A whole platform in memory: log, key, lotteries — to build valid histories.

The lottery tests and bench/lottery_bench.py use it to produce bundles and full-log exports; it
applies the same §7 state machine as the verifier to every event it logs, so it cannot produce
a history the verifier rejects (``emit_raw`` is the escape hatch for building broken logs on
purpose).  It lives with the tests, not in lottery/: the package a regulator runs holds the
verifier and what it checks, nothing that manufactures histories.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lottery.bundle import build_bundle, build_record, log_entries, public_key_of, sign_record
from lottery.draw import canonical_pool, commitment, pool_root
from lottery.encoding import JSON, V, cjson, format_time
from lottery.errors import Invalid
from lottery.events import LotteryState, make_event, record_hash
from lottery.log import MerkleLog
from lottery.note import sign_checkpoint


class Platform:
    """The operator side of the protocol, for tests: every method logs one event."""

    def __init__(
        self,
        key: Ed25519PrivateKey | None = None,
        origin: str = "lottery.example.gov.cn/log",
        key_name: str = "lottery.example.gov.cn",
        log: MerkleLog | None = None,
    ) -> None:
        self.key = key or Ed25519PrivateKey.generate()
        self.origin, self.key_name = origin, key_name
        self.log = log or MerkleLog()
        self.events: list[dict[str, Any]] = []
        self.leaves: list[bytes] = []
        self.states: dict[str, LotteryState] = {}
        self.announcements: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, bytes] = {}
        self.records: dict[str, dict[str, Any]] = {}

    # --- logging -----------------------------------------------------------------------------

    def emit_raw(self, type_: str, lottery_id: str, at: str, data: dict[str, JSON]) -> dict[str, Any]:  # noqa: E501
        """Log an event without checking the §7 rules."""
        event = make_event(len(self.events), type_, lottery_id, at, data)
        leaf = cjson(event)
        self.log.append(leaf)
        self.events.append(event)
        self.leaves.append(leaf)
        return event

    def emit(self, type_: str, lottery_id: str, at: str, data: dict[str, JSON]) -> dict[str, Any]:  # noqa: E501
        event = make_event(len(self.events), type_, lottery_id, at, data)
        if self.events and at < self.events[-1]["at"]:
            raise Invalid("time goes backwards along the log")
        if type_ == "announce":
            self.states[lottery_id] = LotteryState.start(event)
        else:
            self.states[lottery_id].apply(event)
        return self.emit_raw(type_, lottery_id, at, data)

    # --- the steps of a lottery --------------------------------------------------------------

    def announce(
        self, lottery_id: str, request_id: str, k: int, signup_closes_at: str,
        plan: list[dict[str, JSON]], at: str, replaces: str | None = None,
        extra: dict[str, JSON] | None = None, secret: bytes | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        secret = secret if secret is not None else os.urandom(32)
        ann: dict[str, Any] = dict(extra or {})
        ann.update({
            "v": V, "lottery_id": lottery_id, "request_id": request_id, "replaces": replaces,
            "k": k, "signup_closes_at": signup_closes_at,
            "commitment": commitment(lottery_id, secret).hex(), "entropy_plan": plan,
        })  # fmt: skip
        self.emit("announce", lottery_id, at, {"announcement": ann})
        self.announcements[lottery_id], self.secrets[lottery_id] = ann, secret
        return ann

    def register(self, lottery_id: str, agency_id: str, at: str, by: str | None = None) -> None:
        self.emit("register", lottery_id, at, {"agency_id": agency_id, "by": by or f"u-{agency_id}"})  # noqa: E501

    def withdraw(self, lottery_id: str, agency_id: str, at: str, reason: str = "withdrawn") -> None:  # noqa: E501
        self.emit("withdraw", lottery_id, at, {"agency_id": agency_id, "reason": reason, "by": f"u-{agency_id}"})  # noqa: E501

    def exclude(self, lottery_id: str, agency_id: str, at: str, reason: str = "qualification expired") -> None:  # noqa: E501
        self.emit("exclude", lottery_id, at, {"agency_id": agency_id, "reason": reason, "by": "system"})  # noqa: E501

    def freeze(self, lottery_id: str, at: str) -> list[str]:
        st = self.states[lottery_id]
        pool = canonical_pool(st.registered - st.withdrawn - st.excluded)
        self.emit("freeze", lottery_id, at, {"pool": pool, "pool_root": pool_root(pool).hex()})
        return pool

    def entropy(self, lottery_id: str, source: dict[str, JSON], at: str, entered_by: str) -> None:  # noqa: E501
        self.emit("entropy", lottery_id, at, {"source": source, "entered_by": entered_by})

    def draw(self, lottery_id: str, at: str) -> dict[str, Any]:
        st = self.states[lottery_id]
        record = build_record(
            self.announcements[lottery_id], self.secrets[lottery_id], st.sources, st.pool, at
        )
        self.emit("draw", lottery_id, at, {
            "record_hash": record_hash(record).hex(), "ranking": record["ranking"],
        })  # fmt: skip
        self.records[lottery_id] = record
        return record

    def decline(self, lottery_id: str, agency_id: str, at: str, by: str | None = None) -> str | None:  # noqa: E501
        st = self.states[lottery_id]
        pos = st.ann.k + st.next_alternate
        replacement = st.ranking[pos] if pos < len(st.ranking) else None
        self.emit("decline", lottery_id, at, {
            "agency_id": agency_id, "reason": "declined", "replacement": replacement,
            "by": by or f"u-{agency_id}",
        })  # fmt: skip
        return replacement

    def void(self, lottery_id: str, at: str, decided_by: str, reason: str = "objection upheld") -> None:  # noqa: E501
        self.emit("void", lottery_id, at, {"reason": reason, "decided_by": decided_by})

    # --- publishing --------------------------------------------------------------------------

    def checkpoint(self, size: int | None = None) -> str:
        size = self.log.size if size is None else size
        return sign_checkpoint(self.key, self.key_name, self.origin, size, self.log.root(size))

    def bundle(self, lottery_id: str) -> dict[str, JSON]:
        """The §8 bundle of a drawn lottery against a fresh checkpoint of the whole log."""
        record = self.records[lottery_id]
        size = self.log.size
        events = [e for e in self.events if e["lottery_id"] == lottery_id]
        return build_bundle(
            self.announcements[lottery_id], record, sign_record(self.key, record),
            public_key_of(self.key), self.origin, self.key_name, self.checkpoint(size),
            log_entries(self.log, events, size),
        )  # fmt: skip

    def export_jsonl(self) -> bytes:
        """The whole log as served at /transparency/log: one leaf per line."""
        return b"".join(leaf + b"\n" for leaf in self.leaves)


def default_plan(closes: datetime, witnesses: int = 2) -> list[dict[str, JSON]]:
    plan: list[dict[str, JSON]] = [
        {"kind": "witness", "label": f"见证人{i + 1}"} for i in range(witnesses)
    ]
    plan.append({
        "kind": "public_lottery", "label": "福彩双色球 2026138期", "groups": [6, 1],
        "available_at": format_time(closes + timedelta(hours=6)),
    })  # fmt: skip
    return plan


def run_lottery(
    platform: Platform, lottery_id: str, agencies: list[str], start: datetime, k: int = 1,
    request_id: str | None = None, witnesses: int = 2, declines: int = 0,
    withdraw: int = 0, exclude: int = 0, seed: int = 0,
) -> dict[str, Any]:
    """Log a complete, valid lottery from announce to draw (and declines); returns the record.

    Times are ``start`` plus fixed offsets (sign-up closes a day later, the public lottery
    result is available 6 hours after that), so histories are reproducible; ``seed`` varies
    the witness values.  Withdrawals and exclusions take the first agencies.
    """
    def t(minutes: int) -> str:
        return format_time(start + timedelta(minutes=minutes))

    closes = start + timedelta(days=1)
    plan = default_plan(closes, witnesses)
    platform.announce(lottery_id, request_id or f"RQ-{lottery_id}", k, format_time(closes),
                      plan, t(0))  # fmt: skip
    for a in agencies:
        platform.register(lottery_id, a, t(1))
    for a in agencies[:withdraw]:
        platform.withdraw(lottery_id, a, t(2))
    for a in agencies[withdraw : withdraw + exclude]:
        platform.exclude(lottery_id, a, t(24 * 60 + 1))
    platform.freeze(lottery_id, t(24 * 60 + 2))
    for i in range(witnesses):
        value = f"{(seed * 7919 + i * 104729) % 10**8:08d}"
        platform.entropy(lottery_id, {**plan[i], "value": value}, t(24 * 60 + 10 + i),
                         f"witness-{i + 1}")  # fmt: skip
    platform.entropy(lottery_id, {**plan[-1], "value": "3 7 12 19 25 31 + 9"},
                     t(24 * 60 + 6 * 60 + 5), "system")  # fmt: skip
    record = platform.draw(lottery_id, t(24 * 60 + 6 * 60 + 6))
    for _ in range(declines):
        st = platform.states[lottery_id]
        platform.decline(lottery_id, st.selected[0], t(24 * 60 + 6 * 60 + 30))
    return record
