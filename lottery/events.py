"""Log events of spec §7: their shape, and the per-lottery rules as a pure state machine.

The same :class:`LotteryState` checks a bundle's entries (with the draw record to compare
against) and every lottery of the whole log in ``audit-log`` (without one).  Rule violations
raise :class:`~lottery.errors.Invalid`; callers report them as the ``sequence`` check.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from lottery.draw import canonical_pool, is_canonical_pool, pool_root
from lottery.encoding import (
    JSON,
    V,
    check_hex32,
    check_identifier,
    check_identifiers,
    check_int,
    check_json_values,
    check_keys,
    check_list,
    check_object,
    check_text,
    check_time,
    cjson,
    cjson_trusted,
    is_identifier,
)
from lottery.errors import Invalid
from lottery.log import MerkleLog
from lottery.sources import check_plan, check_source, plan_entry_of, public_time

SYSTEM = "system"
ABANDON_AFTER = timedelta(days=7)
EVENT_KEYS = frozenset({"seq", "type", "lottery_id", "at", "data"})
ANNOUNCEMENT_KEYS = frozenset(
    {"v", "lottery_id", "request_id", "replaces", "k", "signup_closes_at", "commitment",
     "entropy_plan"}
)  # fmt: skip


def _reason(x: object) -> None:
    check_text(x, "reason", 1, 500)


def _id(x: object) -> None:
    if not is_identifier(x):
        raise Invalid("must be an identifier ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})")


def _id_or_null(x: object) -> None:
    if x is not None:
        check_identifier(x, "identifier")


def _ids(x: object) -> None:
    check_identifiers(x, "agency ids")


def _obj(x: object) -> None:
    # The only free-form values of an event: their strings and numbers get the §1 rules here,
    # every other field has a typed validator.
    check_json_values(check_object(x, "object"))


def _hex32(x: object) -> None:
    check_hex32(x, "hash")


DATA_SCHEMA: dict[str, dict[str, Callable[[object], None]]] = {
    "announce": {"announcement": _obj},
    "register": {"agency_id": _id, "by": _id},
    "withdraw": {"agency_id": _id, "reason": _reason, "by": _id},
    "exclude": {"agency_id": _id, "reason": _reason, "by": _id},
    "freeze": {"pool": _ids, "pool_root": _hex32},
    "entropy": {"source": _obj, "entered_by": _id},
    "draw": {"record_hash": _hex32, "ranking": _ids},
    "decline": {"agency_id": _id, "reason": _reason, "replacement": _id_or_null, "by": _id},
    "void": {"reason": _reason, "decided_by": _id},
}
DATA_KEYS = {t: frozenset(s) for t, s in DATA_SCHEMA.items()}


def make_event(
    seq: int, type_: str, lottery_id: str, at: str, data: dict[str, JSON]
) -> dict[str, JSON]:  # noqa: E501
    """The app-facing event dict; its leaf is ``cjson(event)``.  Checked before it is logged."""
    event: dict[str, JSON] = {
        "seq": seq, "type": type_, "lottery_id": lottery_id, "at": at, "data": data,
    }  # fmt: skip
    check_event(event)
    return event


def check_event(event: object) -> dict[str, JSON]:
    """Shape of one event (§7): exact keys, types and ``data`` keys for its type.

    Written for speed as well as clarity: a bundle of a large draw holds ~10^4 events.
    """
    ev = check_object(event, "event")
    if ev.keys() != EVENT_KEYS:
        check_keys(ev, EVENT_KEYS, "event")
    check_int(ev["seq"], "seq")
    type_ = ev["type"]
    schema = DATA_SCHEMA.get(type_) if isinstance(type_, str) else None
    if schema is None:
        raise Invalid(f"unknown event type {str(type_)[:40]!r}")
    if not is_identifier(ev["lottery_id"]):
        raise Invalid("lottery_id must be an identifier")
    check_time(ev["at"], "at")
    data = check_object(ev["data"], "data")
    if data.keys() != DATA_KEYS[type_]:
        check_keys(data, DATA_KEYS[type_], f"{type_} data")
    key = ""
    try:
        for key, check in schema.items():
            check(data[key])
    except Invalid as exc:
        raise Invalid(f"{type_} data.{key}: {exc}") from exc
    return ev


def _leaf_texts(events: list[dict[str, Any]]) -> list[str]:
    """``"\\x00" + cjson(ev)`` (leaf_hash's input) of events that passed ``check_event``.

    A bundle holds one register event per sign-up, so theirs is spelled out: after
    ``check_event`` their strings are identifiers and a time (no character JSON escapes) and
    ``seq`` an int, so this f-string gives ``cjson``'s text (the tests compare them) at a
    fraction of the cost; other events take ``cjson`` itself."""
    return [
        f'\x00{{"at":"{ev["at"]}","data":{{"agency_id":"{(data := ev["data"])["agency_id"]}",'
        f'"by":"{data["by"]}"}},"lottery_id":"{ev["lottery_id"]}","seq":{ev["seq"]},'
        f'"type":"register"}}'
        if ev["type"] == "register" else "\x00" + cjson_trusted(ev).decode("utf-8")
        for ev in events
    ]  # fmt: skip


def cjson_checked_event(ev: dict[str, Any]) -> bytes:
    """``cjson(ev)`` for an event that passed ``check_event`` (its log leaf data)."""
    return _leaf_texts([ev])[0][1:].encode("utf-8")


_DIGEST = type(hashlib.sha256()).digest


def leaf_hashes_of_checked(events: list[dict[str, Any]]) -> list[bytes]:
    """``leaf_hash(cjson_checked_event(ev))`` of each event."""
    return list(map(_DIGEST, map(hashlib.sha256, map(str.encode, _leaf_texts(events)))))


def is_canonical_order_of(given: list[str], members: set[str]) -> bool:
    """True only if ``given`` is ``canonical_pool(members)``; False means "sort and compare".

    A strictly increasing list of ASCII ids holding exactly the members is their canonical
    order already, and checking that is cheaper than sorting a pool of 10^4 ids."""
    return len(given) == len(members) and is_canonical_pool(given) and members.issuperset(given)


def is_permutation_of(ranking: list[str], pool: list[str]) -> bool:
    """True only if ``sorted(ranking) == pool`` for a canonical ``pool``; False: not known.

    A canonical pool has no duplicates, so as many distinct ids as it has, all of them in it,
    are a permutation of it, found without sorting the 10^4 ids of a large draw."""
    ranked = set(ranking)
    return len(ranking) == len(ranked) == len(pool) and ranked.issubset(pool)


def append_events(
    log: MerkleLog, events: Iterable[tuple[str, str, str, dict[str, JSON]]]
) -> list[dict[str, JSON]]:  # noqa: E501
    """Append ``(type, lottery_id, at, data)`` items as one batch; returns the logged events.

    ``seq`` is assigned from the log size; the caller holds the append lock and passes times
    read under it, so ``at`` never decreases.
    """
    seq = log.size
    out = []
    for type_, lottery_id, at, data in events:
        out.append(make_event(seq, type_, lottery_id, at, data))
        seq += 1
    log.append_many(cjson(e) for e in out)
    return out


# --- announcements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    lottery_id: str
    request_id: str
    replaces: str | None
    k: int
    signup_closes_at: str
    plan: list[dict[str, Any]]
    T: str  # noqa: N815 - the spec's name: earliest public time of an external value


def check_announcement_format(ann: object) -> dict[str, JSON]:
    """Required keys and their types (other keys are free, covered by the hash)."""
    obj = check_object(ann, "announcement")
    missing = ANNOUNCEMENT_KEYS - obj.keys()
    if missing:
        raise Invalid("announcement: missing " + ", ".join(sorted(missing)))
    if obj["v"] != V:
        raise Invalid(f"announcement v must be {V}")
    check_identifier(obj["lottery_id"], "lottery_id")
    check_identifier(obj["request_id"], "request_id")
    _id_or_null(obj["replaces"])
    check_int(obj["k"], "k", 1)
    check_time(obj["signup_closes_at"], "signup_closes_at")
    check_hex32(obj["commitment"], "commitment")
    for e in check_list(obj["entropy_plan"], "entropy_plan"):
        check_object(e, "entropy_plan entry")
    return obj


def parse_announcement(ann: object) -> Announcement:
    """Format and plan rules (§2, §5) of an announcement."""
    obj = check_announcement_format(ann)
    t = check_plan(obj["entropy_plan"], obj["signup_closes_at"])
    if obj["replaces"] == obj["lottery_id"]:
        raise Invalid("a lottery cannot replace itself")
    return Announcement(
        obj["lottery_id"], obj["request_id"], obj["replaces"], obj["k"],
        obj["signup_closes_at"], obj["entropy_plan"], t,
    )  # fmt: skip


_AT, _DATA, _AGENCY = (operator.itemgetter(k) for k in ("at", "data", "agency_id"))


def _time(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# --- the per-lottery state machine -----------------------------------------------------------


@dataclass
class Expected:
    """What a bundle's draw record says, for the rules that compare events with it."""

    record: dict[str, Any]
    record_hash: bytes
    announcement: dict[str, Any]


@dataclass
class LotteryState:
    """Rules 1-9 of §7 for one lottery, fed its events in index order."""

    ann: Announcement
    announce_at: str
    last_at: str
    expected: Expected | None = None
    phase: str = "signup"  # signup -> frozen -> drawn
    voided: bool = False
    registered: set[str] = field(default_factory=set)
    withdrawn: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    pool: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    witness_accounts: set[str] = field(default_factory=set)
    ranking: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    next_alternate: int = 0
    declines: int = 0

    @classmethod
    def start(cls, event: dict[str, Any], expected: Expected | None = None) -> LotteryState:
        """Rule 1: the first event is the announce (already format-checked)."""
        if event["type"] != "announce":
            raise Invalid(f"the first event of lottery {event['lottery_id']} is not its announce")
        raw = event["data"]["announcement"]
        if expected is not None and cjson(raw) != cjson(expected.announcement):
            raise Invalid("the announce event's announcement differs from the bundle's")
        ann = parse_announcement(raw)
        if ann.lottery_id != event["lottery_id"]:
            raise Invalid("the announcement's lottery_id differs from the event's")
        if not event["at"] <= ann.signup_closes_at:
            raise Invalid("announced after sign-up closed")
        return cls(ann, event["at"], event["at"], expected)

    def apply(self, event: dict[str, Any]) -> None:
        """Check and apply one later event of this lottery."""
        type_, at, data = event["type"], event["at"], event["data"]
        if at < self.last_at:
            raise Invalid("time goes backwards")
        self.last_at = at
        if self.voided:
            raise Invalid(f"{type_} after the lottery was voided")
        handler = _HANDLERS.get(type_)
        try:
            if handler is not None:
                handler(self, at, data)
            else:  # not an event type: the same AttributeError as ever
                getattr(self, f"_on_{type_}")(at, data)
        except Invalid as exc:
            raise Invalid(f"{type_}: {exc}") from exc

    def apply_registers(self, events: list[dict[str, Any]]) -> bool:
        """Apply consecutive register events at once if none breaks a rule; else change nothing
        and return False (``apply`` them one by one to learn which and why).

        The same checks as ``apply`` + ``_on_register``, over the whole run: a bundle of a
        large draw holds one register event per sign-up."""
        if not events or self.voided or self.phase != "signup":
            return False
        ats = list(map(_AT, events))
        agencies = list(map(_AGENCY, map(_DATA, events)))
        if not (
            self.last_at <= ats[0]
            and all(map(operator.le, ats, islice(ats, 1, None)))
            and self.announce_at <= ats[0]
            and ats[-1] <= self.ann.signup_closes_at
        ):
            return False
        added = set(agencies)
        if len(added) != len(agencies) or not self.registered.isdisjoint(added):
            return False
        self.registered |= added
        self.last_at = ats[-1]
        return True

    def _need(self, phase: str) -> None:
        if self.phase != phase:
            raise Invalid(f"not allowed when the lottery is {self.phase}")

    def _on_announce(self, at: str, data: dict[str, Any]) -> None:
        raise Invalid("a lottery is announced once")

    def _on_register(self, at: str, data: dict[str, Any]) -> None:
        if self.phase != "signup":  # _need, tested inline: one register per sign-up
            self._need("signup")
        if not self.announce_at <= at <= self.ann.signup_closes_at:
            raise Invalid("registration outside the sign-up period")
        if data["agency_id"] in self.registered:
            raise Invalid(f"{data['agency_id']} registered twice")
        self.registered.add(data["agency_id"])

    def _leave(self, data: dict[str, Any], into: set[str]) -> None:
        self._need("signup")
        agency = data["agency_id"]
        if agency not in self.registered:
            raise Invalid(f"{agency} is not registered")
        if agency in self.withdrawn or agency in self.excluded:
            raise Invalid(f"{agency} already left the pool")
        into.add(agency)

    def _on_withdraw(self, at: str, data: dict[str, Any]) -> None:
        if not self.announce_at <= at <= self.ann.signup_closes_at:
            raise Invalid("withdrawal outside the sign-up period")
        self._leave(data, self.withdrawn)

    def _on_exclude(self, at: str, data: dict[str, Any]) -> None:
        if not self.ann.signup_closes_at <= at:
            raise Invalid("exclusion before sign-up closed")
        self._leave(data, self.excluded)

    def _on_freeze(self, at: str, data: dict[str, Any]) -> None:
        self._need("signup")
        if not self.ann.signup_closes_at <= at < self.ann.T:
            raise Invalid("freeze must be at or after sign-up close and before T")
        members = self.registered - self.withdrawn - self.excluded
        given = data["pool"]
        pool = list(given) if is_canonical_order_of(given, members) else canonical_pool(members)
        if given != pool:
            raise Invalid("pool is not registered - withdrawn - excluded, in canonical order")
        if self.expected is not None:
            # The record's pool_root was already checked against its pool (the pool check),
            # so equality with the record settles the root without rehashing the pool.
            if pool != self.expected.record["pool"]:
                raise Invalid("the frozen pool differs from the record's")
            if data["pool_root"] != self.expected.record["pool_root"]:
                raise Invalid("the freeze's pool_root differs from the record's")
        elif data["pool_root"] != pool_root(pool).hex():
            raise Invalid("pool_root does not match the pool")
        self.pool = pool
        self.phase = "frozen"

    def _witnesses_planned(self) -> int:
        return sum(1 for e in self.ann.plan if e["kind"] == "witness")

    def _on_entropy(self, at: str, data: dict[str, Any]) -> None:
        self._need("frozen")
        i = len(self.sources)
        if i >= len(self.ann.plan):
            raise Invalid("more entropy events than plan entries")
        source, account = data["source"], data["entered_by"]
        check_source(source)
        if cjson(plan_entry_of(source)) != cjson(self.ann.plan[i]):
            raise Invalid(f"source {i} differs from plan entry {i}")
        if self.expected is not None and cjson(source) != cjson(self.expected.record["sources"][i]):
            raise Invalid(f"source {i} differs from the record's")
        if source["kind"] == "witness":
            if account == SYSTEM or account in self.witness_accounts:
                raise Invalid("each witness enters from its own account, not system")
            if not at < self.ann.T:
                raise Invalid("a witness value entered at or after T")
            self.witness_accounts.add(account)
        elif not at >= public_time(source):
            raise Invalid("an external value logged before it was public")
        self.sources.append(source)

    def _on_draw(self, at: str, data: dict[str, Any]) -> None:
        self._need("frozen")
        if len(self.sources) != len(self.ann.plan):
            raise Invalid("draw before every planned entropy source")
        ranking = data["ranking"]
        if not is_permutation_of(ranking, self.pool) and sorted(ranking) != self.pool:
            raise Invalid("the ranking is not a permutation of the frozen pool")
        if self.ann.k > len(self.pool):
            raise Invalid("k is larger than the pool")
        if self.expected is not None:
            rec = self.expected.record
            if data["record_hash"] != self.expected.record_hash.hex():
                raise Invalid("record_hash is not H(cjson(record))")
            if ranking != rec["ranking"]:
                raise Invalid("the draw event's ranking differs from the record's")
            if rec["drawn_at"] != at:
                raise Invalid("the record's drawn_at differs from the draw event's at")
        self.ranking = list(ranking)
        self.selected = ranking[: self.ann.k]
        self.phase = "drawn"

    def _on_decline(self, at: str, data: dict[str, Any]) -> None:
        self._need("drawn")
        agency = data["agency_id"]
        if agency not in self.selected:
            raise Invalid(f"{agency} is not selected")
        pos = self.ann.k + self.next_alternate
        expected = self.ranking[pos] if pos < len(self.ranking) else None
        if data["replacement"] != expected:
            raise Invalid(f"the replacement must be {expected} (the next alternate)")
        self.selected.remove(agency)
        if expected is not None:
            self.next_alternate += 1
            order = {a: i for i, a in enumerate(self.ranking)}
            self.selected = sorted([*self.selected, expected], key=order.__getitem__)
        self.declines += 1

    def _on_void(self, at: str, data: dict[str, Any]) -> None:
        by_system = data["decided_by"] == SYSTEM
        if self.phase == "frozen":
            if at >= self.ann.T:
                witnesses = sum(1 for s in self.sources if s["kind"] == "witness")
                if not (by_system and witnesses < self._witnesses_planned()):
                    raise Invalid("between T and the draw only the system voids, for missing"
                                  " witness values")  # fmt: skip
            elif by_system:
                raise Invalid("after the freeze only a named regulator may void")
        elif self.phase == "drawn" and by_system:
            raise Invalid("after the freeze only a named regulator may void")
        self.voided = True

    def abandoned(self, last_log_at: str) -> bool:
        """Neither drawn nor voided 7 days after T (rule 7)."""
        if self.voided or self.phase == "drawn":
            return False
        try:
            return _time(last_log_at) >= _time(self.ann.T) + ABANDON_AFTER
        except OverflowError:  # T within 7 days of year 9999's end: cannot be abandoned yet
            return False


_HANDLERS: dict[str, Callable[[LotteryState, str, dict[str, Any]], None]] = {
    t: getattr(LotteryState, f"_on_{t}") for t in DATA_SCHEMA
}


def record_hash(record: dict[str, JSON]) -> bytes:
    return hashlib.sha256(cjson(record)).digest()
