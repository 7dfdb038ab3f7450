"""The bundle verifier of spec §9: every check in order, stopping at the first failure.

``verify_bundle`` returns a :class:`Verified` or raises :class:`CheckFailed` naming the check.
Anything unexpected inside a check (a type the earlier checks should have caught) is reported
as a failure of that check, never as a crash.
"""

from __future__ import annotations

import gc
import hashlib
import operator
import re
from binascii import a2b_base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lottery.bundle import RECORD_CONTEXT
from lottery.draw import (
    commitment,
    draw_key,
    is_canonical_pool,
    is_ranking_of,
    pool_root,
    ranking_from_tickets,
    tickets,
)
from lottery.encoding import (
    MAX_INT,
    V,
    all_easy_times,
    all_identifiers,
    check_b64,
    check_b64_32,
    check_hex,
    check_hex32,
    check_hex32_values,
    check_identifier,
    check_identifiers,
    check_int,
    check_json_values,
    check_keys,
    check_list,
    check_object,
    check_str,
    check_time,
    cjson_trusted,
)
from lottery.errors import CheckFailed, Invalid
from lottery.events import (
    DATA_SCHEMA,
    Expected,
    LotteryState,
    check_announcement_format,
    check_event,
    leaf_hashes_of_checked,
)
from lottery.merkle import B64_UNIT, run_inclusions_hold, verify_inclusions
from lottery.note import Checkpoint, is_key_name, verify_checkpoint
from lottery.sources import check_plan, check_sources_against_plan, public_time

CHECKS = (
    "format", "announcement", "commitment", "pool", "sources", "derivation", "signature",
    "checkpoint", "inclusion", "sequence",
)  # fmt: skip
BUNDLE_KEYS = frozenset({"v", "announcement", "record", "signature", "public_key", "log"})
LOG_KEYS = frozenset({"origin", "key_name", "checkpoint", "entries"})
ENTRY_KEYS = frozenset({"index", "event", "proof"})
# Proof hashes concatenated: each 32-byte hash is 43 symbols and "=" with zero pad bits.
_PROOF_RE = re.compile(r"(?:[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)*")
RECORD_KEYS = frozenset(
    {"v", "lottery_id", "announcement_hash", "k", "pool", "pool_root", "commitment", "secret",
     "sources", "draw_key", "tickets", "ranking", "winners", "drawn_at"}
)  # fmt: skip


@dataclass
class Verified:
    """What a valid bundle shows."""

    lottery_id: str
    winners: list[str]
    selected: list[str]
    declines: int
    voided: bool
    externals: list[dict[str, Any]]
    passed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The stdout lines of ``verify`` (spec §10)."""
        head = "OK VOID" if self.voided else "OK"
        out = [
            f"{head} {self.lottery_id} winners={_cj(self.winners)} "
            f"selected={_cj(self.selected)} declines={self.declines}"
        ]
        for s in self.externals:
            line = f"external {s['label']} public_at={public_time(s)} value={s['value']}"
            if s["kind"] == "drand":
                line += f" chain={s['chain']} round={s['round']}"
            out.append(line)
        return out


def _cj(x: Any) -> str:
    return cjson_trusted(x).decode("utf-8")


class _Bundle:
    """The bundle plus values decoded once by ``format`` for the later checks."""

    def __init__(self, raw: dict[str, Any], pinned_key: bytes | None) -> None:
        self.raw = raw
        self.pinned_key = pinned_key
        self.ann: dict[str, Any] = raw.get("announcement", {})
        self.rec: dict[str, Any] = raw.get("record", {})
        self.public_key = b""
        self.signature = b""
        self.checkpoint: Checkpoint | None = None
        self.record_bytes = b""
        self.state: LotteryState | None = None
        self.proof_units: bytes | None = None  # every proof element, as found by ``format``


def _check_format(b: _Bundle) -> None:
    raw = check_object(b.raw, "bundle")
    check_keys(raw, BUNDLE_KEYS, "bundle")
    if raw["v"] != V:
        raise Invalid(f"bundle v must be {V}")
    # Free-form parts get the §1 rules (NFC, integers only) by a walk; every other field has a
    # typed validator below, which is much cheaper than walking 10^4-entry pools.
    check_json_values(raw["announcement"])
    check_announcement_format(raw["announcement"])
    rec = check_object(raw["record"], "record")
    check_keys(rec, RECORD_KEYS, "record")
    if rec["v"] != V:
        raise Invalid(f"record v must be {V}")
    check_identifier(rec["lottery_id"], "record lottery_id")
    for name in ("announcement_hash", "pool_root", "commitment", "draw_key"):
        check_hex32(rec[name], f"record {name}")
    check_hex(rec["secret"], "record secret")
    check_int(rec["k"], "record k", 1)
    for name in ("pool", "ranking", "winners"):
        check_identifiers(rec[name], f"record {name}")
    for s in check_list(rec["sources"], "record sources"):
        check_json_values(check_object(s, "record source"))
    check_hex32_values(rec["tickets"], "record tickets")
    check_time(rec["drawn_at"], "record drawn_at")
    b.signature = check_b64(raw["signature"], "signature")
    b.public_key = check_b64_32(raw["public_key"], "public_key")
    log = check_object(raw["log"], "log")
    check_keys(log, LOG_KEYS, "log")
    if not is_key_name(log["origin"]) or not is_key_name(log["key_name"]):
        raise Invalid("log origin and key_name must be non-empty without white space or '+'")
    check_json_values([check_str(log["checkpoint"], "log checkpoint"), log["origin"],
                       log["key_name"]])  # fmt: skip
    entries = check_list(log["entries"], "log entries")
    units = _entries_well_formed(entries)
    if units is not None:
        b.proof_units = units
        return
    last = -1
    for entry in entries:
        check_keys(check_object(entry, "entry"), ENTRY_KEYS, "entry")
        index = check_int(entry["index"], "entry index")
        if index <= last:
            raise Invalid("entries are not in strictly increasing index order")
        last = index
        check_event(entry["event"])
        try:  # one regex over the joined proof instead of one call per hash
            ok = _PROOF_RE.fullmatch("".join(check_list(entry["proof"], "proof")))
        except TypeError:  # a non-string element
            ok = None
        if not ok:
            raise Invalid(f"entry {index}: proof hashes must be canonical base64 of 32 bytes")


_INDEX, _EVENT, _PROOF = (operator.itemgetter(k) for k in ("index", "event", "proof"))
_SEQ, _TYPE, _LOTTERY, _AT = (operator.itemgetter(k) for k in ("seq", "type", "lottery_id", "at"))
_AGENCY, _BY = operator.itemgetter("agency_id"), operator.itemgetter("by")


_B64_SYMBOLS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_LAST_SYMBOLS = b"AEIMQUYcgkosw048"  # a value that is a multiple of 4: zero pad bits


def _proof_units(proofs: list[Any]) -> bytes | None:
    """Every proof's elements in order, each as ``b2a_base64`` writes a 32-byte hash (43
    symbols, "=", "\\n"), if each element is one canonical base64 hash; else None.

    Joined by "\\n" the elements must give exactly that shape: a "\\n" after every 44
    characters and nowhere else makes each element 44 characters long, so the text says both
    what ``format`` requires (each proof's elements, joined, are canonical base64 of 32-byte
    hashes) and what the bulk inclusion check needs (every element is one hash).  None does
    not mean malformed: proofs with split elements, or empty ones, take the per-entry checks.
    One ``bytes.translate`` pass over the ~6 MB of a 10^4-entry bundle instead of a regex.
    """
    try:
        text = "\n".join(map("\n".join, proofs)) + "\n"  # TypeError: not strings
    except TypeError:
        return None
    count = sum(map(len, proofs))
    if not text.isascii() or len(text) != B64_UNIT * count:
        return None
    units = text.encode("ascii")
    # Without the 64 symbols, "=\n" once per element; "=" and "\n" at the end of each unit,
    # so every other byte is a symbol; the last symbol's 2 pad bits zero.
    if (units.translate(None, _B64_SYMBOLS) != b"=\n" * count
            or units[B64_UNIT - 2 :: B64_UNIT] != b"=" * count
            or units[B64_UNIT - 1 :: B64_UNIT] != b"\n" * count
            or units[B64_UNIT - 3 :: B64_UNIT].translate(None, _LAST_SYMBOLS)):  # fmt: skip
        return None
    return units


def _entries_well_formed(entries: list[Any]) -> bytes | None:
    """The per-entry checks of ``format`` for a typical bundle, column by column.

    A bundle holds one register event per sign-up (10^4 and more), and checking them one by
    one was half of the verifier's time; here every column is checked in a few C-level passes.
    Bytes mean every entry passes the per-entry checks (they are the proofs' text, see
    ``_proof_units``, kept for ``inclusion``); None means nothing: those checks then run one by
    one and name the first failure, so messages are the same either way.
    """
    if not entries:
        return b""
    try:
        if set(map(type, entries)) != {dict} or set(map(len, entries)) != {3}:
            return None
        # Three keys each and all three found: exactly ENTRY_KEYS (KeyError otherwise).
        indexes = list(map(_INDEX, entries))
        events = list(map(_EVENT, entries))
        proofs = list(map(_PROOF, entries))
        if (set(map(type, indexes)) != {int} or indexes[0] < 0 or indexes[-1] > MAX_INT
                or not all(map(operator.lt, indexes, islice(indexes, 1, None)))):  # fmt: skip
            return None
        if set(map(type, events)) != {dict} or set(map(len, events)) != {5}:
            return None
        seqs = list(map(_SEQ, events))
        if set(map(type, seqs)) != {int} or min(seqs) < 0 or max(seqs) > MAX_INT:
            return None
        if not set(map(_TYPE, events)) <= DATA_SCHEMA.keys():
            return None
        if not all_identifiers(set(map(_LOTTERY, events))) or not all_easy_times(
            set(map(_AT, events))
        ):
            return None
        registers = [ev["data"] for ev in events if ev["type"] == "register"]
        if registers:
            if set(map(type, registers)) != {dict} or set(map(len, registers)) != {2}:
                return None
            if not all_identifiers([*map(_AGENCY, registers), *map(_BY, registers)]):
                return None
        for ev in events:
            if ev["type"] != "register":
                check_event(ev)
        if set(map(type, proofs)) != {list}:
            return None
        # Each entry's proof, joined, is whole 44-symbol hashes (as the per-entry regex says).
        return _proof_units(proofs)
    except (Invalid, KeyError, TypeError, ValueError):
        return None


def _check_announcement(b: _Bundle) -> None:
    ann_hash = hashlib.sha256(cjson_trusted(b.ann)).hexdigest()
    if b.rec["announcement_hash"] != ann_hash:
        raise Invalid("record announcement_hash is not H(cjson(announcement))")
    for key in ("lottery_id", "k", "commitment"):
        if b.rec[key] != b.ann[key]:
            raise Invalid(f"{key} differs between announcement and record")


def _check_commitment(b: _Bundle) -> None:
    secret = bytes.fromhex(b.rec["secret"])
    if len(secret) != 32:
        raise Invalid("the secret is not 32 bytes")
    if commitment(b.rec["lottery_id"], secret).hex() != b.rec["commitment"]:
        raise Invalid("the secret does not open the commitment")


def _check_pool(b: _Bundle) -> None:
    pool = b.rec["pool"]
    if not is_canonical_pool(pool):
        raise Invalid("the pool is not sorted by bytes without duplicates")
    if pool_root(pool).hex() != b.rec["pool_root"]:
        raise Invalid("pool_root is not the Merkle root of the pool")


def _check_sources(b: _Bundle) -> None:
    check_plan(b.ann["entropy_plan"], b.ann["signup_closes_at"])
    check_sources_against_plan(b.rec["sources"], b.ann["entropy_plan"])


def _check_derivation(b: _Bundle) -> None:
    rec = b.rec
    pool, k = rec["pool"], rec["k"]
    if k > len(pool):
        raise Invalid(f"k={k} is larger than the pool ({len(pool)})")
    if rec["tickets"].keys() != set(pool):
        raise Invalid("the tickets' keys are not exactly the pool")
    key = draw_key(
        rec["lottery_id"], bytes.fromhex(rec["announcement_hash"]), bytes.fromhex(rec["secret"]),
        rec["sources"],
    )  # fmt: skip
    if key.hex() != rec["draw_key"]:
        raise Invalid("draw_key does not follow from the inputs")
    computed = tickets(key, pool)
    if dict(zip(computed, map(bytes.hex, computed.values()), strict=True)) != rec["tickets"]:
        for agency in pool:  # name the first wrong ticket in pool order
            if computed[agency].hex() != rec["tickets"][agency]:
                raise Invalid(f"the ticket of {agency} is wrong")
    given = rec["ranking"]
    ranking = given if is_ranking_of(given, computed) else ranking_from_tickets(computed)
    if given != ranking:
        raise Invalid("the ranking is not the pool sorted by ticket")
    if rec["winners"] != ranking[:k]:
        raise Invalid("the winners are not the first k of the ranking")


def _check_signature(b: _Bundle) -> None:
    if len(b.signature) != 64:
        raise Invalid("the record signature is not 64 bytes")
    b.record_bytes = cjson_trusted(b.rec)
    try:
        Ed25519PublicKey.from_public_bytes(b.public_key).verify(
            b.signature, RECORD_CONTEXT + b.record_bytes
        )
    except InvalidSignature as exc:
        raise Invalid("the record signature does not verify under public_key") from exc
    if b.pinned_key is not None and b.public_key != b.pinned_key:
        raise Invalid("the bundle's public_key is not the pinned --pubkey")


def _check_checkpoint(b: _Bundle) -> None:
    log = b.raw["log"]
    cp = verify_checkpoint(log["checkpoint"], b.public_key, log["key_name"])
    if cp.origin != log["origin"]:
        raise Invalid("the checkpoint origin differs from log.origin")
    b.checkpoint = cp


def _check_inclusion(b: _Bundle) -> None:
    assert b.checkpoint is not None  # noqa: S101 - ordering invariant of the check list
    size, root = b.checkpoint.size, b.checkpoint.root
    entries = b.raw["log"]["entries"]
    indexes = list(map(_INDEX, entries))
    events = list(map(_EVENT, entries))
    if list(map(_SEQ, events)) != indexes:
        for index, event in zip(indexes, events, strict=True):
            if event["seq"] != index:
                raise Invalid(f"entry {index}: event seq is {event['seq']}")
    leaves = leaf_hashes_of_checked(events)
    proofs = list(map(_PROOF, entries))
    if indexes and indexes[-1] - indexes[0] == len(indexes) - 1:
        # The entries are one stretch of the log (their indexes increase strictly), as in a
        # log that holds one lottery or while one lottery is logging alone: their proofs are
        # compared with the paths of the tree built over their leaves; True is the walk's
        # verdict, False leaves it to the walk (why: ``merkle.run_inclusions_hold``).
        units = b.proof_units if b.proof_units is not None else _proof_units(proofs)
        if units is not None and run_inclusions_hold(
            indexes[0], leaves, list(map(len, proofs)), units, size, root
        ):
            return
    items = list(zip(indexes, leaves, proofs, strict=True))
    # Proof elements stay base64 (validated canonical by format) until one is hashed.
    failed = verify_inclusions(items, size, root, a2b_base64)
    if failed is not None:
        raise Invalid(f"entry {entries[failed]['index']}: the proof does not lead to the"
                      f" checkpoint's root at size {size}")  # fmt: skip


def _check_sequence(b: _Bundle) -> None:
    entries = b.raw["log"]["entries"]
    if not entries:
        raise Invalid("the bundle has no log entries")
    lottery_id = b.rec["lottery_id"]
    if set(map(_LOTTERY, map(_EVENT, entries))) != {lottery_id}:
        for e in entries:
            if e["event"]["lottery_id"] != lottery_id:
                raise Invalid(f"entry {e['index']} belongs to another lottery")
    expected = Expected(b.rec, hashlib.sha256(b.record_bytes).digest(), b.ann)
    state = LotteryState.start(entries[0]["event"], expected)
    # Runs of register events (one per sign-up) are applied together when they break no rule;
    # otherwise one by one, which names the entry and the rule.
    events = list(map(_EVENT, entries))
    at = 1  # the position of the run's first event
    for type_, run in groupby(islice(events, 1, None), _TYPE):
        group = list(run)
        if not (type_ == "register" and state.apply_registers(group)):
            for e, event in zip(islice(entries, at, at + len(group)), group, strict=True):
                try:
                    state.apply(event)
                except Invalid as exc:
                    raise Invalid(f"entry {e['index']}: {exc}") from exc
        at += len(group)
    if state.phase != "drawn":
        raise Invalid("the bundle has no draw event")
    b.state = state


_STEPS: tuple[tuple[str, Callable[[_Bundle], None]], ...] = (
    ("format", _check_format), ("announcement", _check_announcement),
    ("commitment", _check_commitment), ("pool", _check_pool), ("sources", _check_sources),
    ("derivation", _check_derivation), ("signature", _check_signature),
    ("checkpoint", _check_checkpoint), ("inclusion", _check_inclusion),
    ("sequence", _check_sequence),
)  # fmt: skip


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while verifying.

    Verifying a large bundle allocates ~10^5 short-lived, acyclic objects (hashes, tuples),
    which triggers repeated full collections that find nothing; pausing saves ~10% of the time.
    The previous state is restored, so callers that disabled GC themselves are unaffected.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def verify_bundle(bundle: Any, pinned_key: bytes | None = None) -> Verified:
    """Run every §9 check in order; raise CheckFailed at the first that fails."""
    with gc_paused():
        return _verify(bundle, pinned_key)


def _verify(bundle: Any, pinned_key: bytes | None) -> Verified:
    b = _Bundle(bundle if isinstance(bundle, dict) else {}, pinned_key)
    if not isinstance(bundle, dict):
        raise CheckFailed("format", "the bundle is not a JSON object")
    passed = []
    for name, step in _STEPS:
        try:
            step(b)
        except Invalid as exc:
            raise CheckFailed(name, str(exc)) from exc
        except (ValueError, TypeError, KeyError, AttributeError, IndexError,
                RecursionError) as exc:  # fmt: skip
            raise CheckFailed(name, f"malformed input ({type(exc).__name__}: {exc})") from exc
        passed.append(name)
    assert b.state is not None  # noqa: S101 - set by the sequence check
    externals = [s for s in b.rec["sources"] if s["kind"] != "witness"]
    return Verified(
        b.rec["lottery_id"], b.rec["winners"], b.state.selected, b.state.declines,
        b.state.voided, externals, passed,
    )  # fmt: skip
