"""``audit-log``: every §7 rule over the whole log, the root, and an old checkpoint.

Across lotteries it also holds each external label (and each drand round) to one value: a
label names one official result (§5), so a second, different value under it is a
``sequence`` failure.

The export is one leaf per line, each exactly ``cjson(event)`` with ``seq`` equal to its line
number.  Checks run in the order format, sequence, checkpoint, consistency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lottery.encoding import cjson_trusted, loads_strict
from lottery.errors import CheckFailed, Invalid, Unreadable
from lottery.events import LotteryState, check_event
from lottery.log import CompactRange
from lottery.merkle import leaf_hash
from lottery.note import verify_checkpoint
from lottery.verify import gc_paused


@dataclass(frozen=True)
class AuditResult:
    size: int
    root: bytes


def _parse_lines(data: bytes) -> list[dict[str, Any]]:
    """The ``format`` check: each line a canonical, well-formed event with seq = line number."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise CheckFailed("format", "the log must end with a newline")
    events = []
    for i, line in enumerate(data[:-1].split(b"\n")):
        try:
            event = loads_strict(line)
            check_event(event)
            # check_event applied the §1 string and integer rules to every field, so the
            # plain encoder gives the canonical form.
            if cjson_trusted(event) != line:
                raise Invalid("not in canonical JSON form")
        except (Invalid, Unreadable) as exc:
            raise CheckFailed("format", f"line {i}: {exc}") from exc
        if event["seq"] != i:
            raise CheckFailed("format", f"line {i}: seq is {event['seq']}")
        events.append(event)
    return events


class _Requests:
    """Rule 7 across lotteries of one request: replacement chains."""

    def __init__(self) -> None:
        self.lotteries: dict[str, list[str]] = {}  # request -> lottery ids in announce order
        self.replaced: set[str] = set()

    def announce(self, state: LotteryState, states: dict[str, LotteryState]) -> None:
        ann = state.ann
        previous = self.lotteries.setdefault(ann.request_id, [])
        if any(not states[p].voided for p in previous):
            raise Invalid(f"request {ann.request_id} already has a lottery that is not voided")
        if previous and ann.replaces is None:
            raise Invalid("a later lottery of a request must name the voided one it replaces")
        if not previous and ann.replaces is not None:
            raise Invalid(f"{ann.replaces} is not an earlier lottery of {ann.request_id}")
        if ann.replaces is not None:
            if ann.replaces not in previous:
                raise Invalid(f"{ann.replaces} is not an earlier lottery of {ann.request_id}")
            if ann.replaces in self.replaced:
                raise Invalid(f"{ann.replaces} was already replaced")
            self.replaced.add(ann.replaces)
        previous.append(ann.lottery_id)


class _ExternalValues:
    """One external value per name across the whole log.

    A label names one public result (a game's issue, a drand round), so every lottery that
    plans it must log the same value; two values under one label mean one of them was not the
    official result.  A drand round is also keyed by its chain and number, whatever its label.
    """

    def __init__(self) -> None:
        self.by_label: dict[str, tuple[str, int]] = {}  # label -> (value, first seq)
        self.by_round: dict[tuple[str, int], tuple[str, int]] = {}

    def see(self, source: dict[str, Any], seq: int) -> None:
        if source["kind"] == "witness":
            return
        value = cjson_trusted({k: source[k] for k in ("value", "signature") if k in source}
                              ).decode("utf-8")
        keys: list[tuple[dict[Any, tuple[str, int]], Any, str]] = [
            (self.by_label, source["label"], f"label {source['label']!r}")]
        if source["kind"] == "drand":
            keys.append((self.by_round, (source["chain"], source["round"]),
                         f"drand round {source['round']}"))
        for table, key, name in keys:
            first = table.setdefault(key, (value, seq))
            if first[0] != value:
                raise Invalid(f"external {name} has another value than at event {first[1]}")


def _check_sequence(events: list[dict[str, Any]]) -> None:
    states: dict[str, LotteryState] = {}
    requests = _Requests()
    externals = _ExternalValues()
    last_at = ""
    for ev in events:
        try:
            if ev["at"] < last_at:
                raise Invalid("time goes backwards")
            last_at = ev["at"]
            lottery_id = ev["lottery_id"]
            if ev["type"] == "announce":
                if lottery_id in states:
                    raise Invalid(f"lottery {lottery_id} announced twice")
                state = LotteryState.start(ev)
                requests.announce(state, states)
                states[lottery_id] = state
            elif lottery_id not in states:
                raise Invalid(f"lottery {lottery_id} was never announced")
            else:
                states[lottery_id].apply(ev)
                if ev["type"] == "entropy":
                    externals.see(ev["data"]["source"], ev["seq"])
        except Invalid as exc:
            raise CheckFailed("sequence", f"event {ev['seq']}: {exc}") from exc
    for lottery_id, state in states.items():
        if state.abandoned(last_at):
            raise CheckFailed("sequence", f"lottery {lottery_id} abandoned: not drawn or voided"
                              " 7 days after T")  # fmt: skip


def audit_log(data: bytes, public_key: bytes, old_checkpoint: str | None = None) -> AuditResult:
    """Audit a whole-log export; raises CheckFailed (format/sequence/checkpoint/consistency)."""
    with gc_paused():
        return _audit(data, public_key, old_checkpoint)


def _audit(data: bytes, public_key: bytes, old_checkpoint: str | None) -> AuditResult:
    events = _parse_lines(data)
    _check_sequence(events)
    old = None
    if old_checkpoint is not None:
        try:
            old = verify_checkpoint(old_checkpoint, public_key, None)
        except Invalid as exc:
            raise CheckFailed("checkpoint", str(exc)) from exc
        if old.size > len(events):
            raise CheckFailed("checkpoint", f"size {old.size} is larger than the log")
    tree = CompactRange()
    prefix_root = tree.root()
    lines = data[:-1].split(b"\n") if data else []
    for i, line in enumerate(lines):
        if old is not None and i == old.size:
            prefix_root = tree.root()
        tree.append_hash(leaf_hash(line))
    if old is not None:
        if old.size == len(lines):
            prefix_root = tree.root()
        if prefix_root != old.root:
            raise CheckFailed("consistency", f"the log's first {old.size} leaves have another"
                              " root than the checkpoint")  # fmt: skip
    return AuditResult(tree.size, tree.root())
