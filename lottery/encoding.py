"""Byte encodings and value validators of spec §1.

Everything that turns a value into bytes for hashing lives here, so the draw, the log and the
verifier cannot disagree about it.  Validators raise :class:`~lottery.errors.Invalid`; the
caller maps that to the check name it is running.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, cast

from lottery.errors import Invalid, Unreadable

V = "agency-lottery/v1"
MAX_INT = 2**53 - 1

_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")
_HEX32_RE = re.compile(r"[0-9a-f]{64}")
# Times that are valid in every month and year, checked by one regex (the common case);
# anything else gets the full calendar check.
_EASY_TIME_RE = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
)
_TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# The same patterns over many values joined by "\n" (which none of them may contain): one regex
# call instead of one per value, for the 10^4-10^5 ids, tickets and times of a large bundle.
_ID_LINES_RE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\n)*")
_HEX32_LINES_RE = re.compile(r"(?:[0-9a-f]{64}\n)*")
_EASY_TIME_LINES_RE = re.compile(
    r"(?:(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z\n)*"
)
# A 32-byte value in padded base64 is 43 symbols and "="; the last symbol carries 2 pad bits
# that must be zero, i.e. it is one of the 16 symbols whose value is a multiple of 4.
_B64_32_RE = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")

JSON = Any  # parsed JSON value; kept as Any because mypy cannot express the recursion usefully


def H(data: bytes) -> bytes:  # noqa: N802 - the spec's name
    """SHA-256."""
    return hashlib.sha256(data).digest()


def utf8(s: str) -> bytes:
    """NFC-normalise then UTF-8 encode (spec §1 ``utf8``)."""
    if s.isascii():  # ASCII is always NFC: skip the normaliser for ids and tags
        return s.encode("ascii")
    try:
        return unicodedata.normalize("NFC", s).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from JSON "\ud800"
        raise Invalid("string is not valid Unicode") from exc


def enc(b: bytes) -> bytes:
    """4-byte big-endian length prefix, then the bytes."""
    return len(b).to_bytes(4, "big") + b


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


# --- canonical JSON -------------------------------------------------------------------------


def nfc(x: JSON) -> JSON:
    """Return ``x`` with every string (keys included) NFC-normalised.

    Two keys that become equal are an error (spec §1); floats are refused because they never
    appear in this protocol and their text form is not canonical across languages.
    """
    if isinstance(x, str):
        return x if x.isascii() else unicodedata.normalize("NFC", x)
    if isinstance(x, dict):
        out: dict[str, JSON] = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise Invalid("object key is not a string")
            nk = k if k.isascii() else unicodedata.normalize("NFC", k)
            if nk in out:
                raise Invalid(f"two keys equal after NFC: {nk!r}")
            out[nk] = nfc(v)
        return out
    if isinstance(x, list):
        return [nfc(v) for v in x]
    if x is None or isinstance(x, bool) or type(x) is int:
        return x
    raise Invalid(f"value of type {type(x).__name__} is not allowed in canonical JSON")


# One encoder instance: json.dumps with non-default options builds a new encoder per call,
# which costs more than encoding a small event.  Where CPython's C encoder is available we also
# keep one instance of it (JSONEncoder.encode builds a new one per call): the output is the
# same bytes, about 30% faster on the ~10^5 small events of a log audit.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_make_c_encoder: Callable[..., Callable[[Any, int], Any]] | None = getattr(
    json.encoder, "c_make_encoder", None
)
_C_ENCODER = (
    _make_c_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )
    if _make_c_encoder is not None
    else None
)


def _encode(x: JSON) -> str:
    if _C_ENCODER is not None and isinstance(x, dict):
        return "".join(_C_ENCODER(x, 0))
    return _ENCODER.encode(x)


def cjson(x: JSON) -> bytes:
    """Canonical JSON of spec §1: NFC, keys sorted by code point, compact, UTF-8."""
    try:
        return _encode(nfc(x)).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid("string is not valid Unicode") from exc
    except (TypeError, ValueError) as exc:
        raise Invalid(f"not canonical JSON: {exc}") from exc


def cjson_trusted(x: JSON) -> bytes:
    """``cjson`` for a value already checked to be NFC with no floats (skips the NFC walk)."""
    return _encode(x).encode("utf-8")


# --- strict JSON reading ----------------------------------------------------------------------


class NotAnInteger:
    """Stands in for a JSON number that is not an allowed integer, so shape checks reject it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"NotAnInteger({self.text!r})"


def _pairs(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for k, v in pairs:
        if k in out:
            raise Unreadable(f"duplicate key {k!r}")
        out[k] = v
    return out


def _constant(name: str) -> JSON:
    raise Unreadable(f"{name} is not JSON")


def _int(text: str) -> JSON:
    # Very long literals would hit Python's int-conversion limit; they are out of range anyway.
    if len(text) > 20:
        return NotAnInteger(text)
    return int(text)


def loads_strict(data: bytes | str) -> JSON:
    """Parse JSON, refusing duplicate keys, NaN/Infinity, non-UTF-8 and BOMs.

    Floats and huge integers parse to :class:`NotAnInteger` so that "valid JSON of the wrong
    shape" reaches the ``format`` check instead of being unreadable.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_constant,
            parse_float=NotAnInteger,
            parse_int=_int,
        )
    except Unreadable:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise Unreadable(f"not JSON: {exc}") from exc


# --- validators ------------------------------------------------------------------------------


def is_int(x: object) -> bool:
    """A JSON integer in 0..2^53-1; booleans are not integers."""
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= MAX_INT


def check_int(x: object, what: str, minimum: int = 0) -> int:
    if type(x) is not int or not minimum <= x <= MAX_INT:
        raise Invalid(f"{what} must be an integer in {minimum}..2^53-1")
    return x


def check_str(x: object, what: str) -> str:
    if not isinstance(x, str):
        raise Invalid(f"{what} must be a string")
    return x


def check_hex(x: object, what: str) -> bytes:
    """Lowercase, even-length hex; returns the raw bytes."""
    if not isinstance(x, str) or not _HEX_RE.fullmatch(x):
        raise Invalid(f"{what} must be lowercase hex of even length")
    return bytes.fromhex(x)


def check_hex32(x: object, what: str) -> bytes:
    if not isinstance(x, str) or not _HEX32_RE.fullmatch(x):
        raise Invalid(f"{what} must be 64 lowercase hex characters (32 bytes)")
    return bytes.fromhex(x)


def b64encode(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def check_b64(x: object, what: str) -> bytes:
    """Standard padded base64 that re-encodes to itself."""
    if not isinstance(x, str) or not x.isascii():
        raise Invalid(f"{what} must be base64")
    try:
        raw = base64.b64decode(x, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{what} is not canonical base64") from exc
    if base64.b64encode(raw).decode("ascii") != x:
        raise Invalid(f"{what} is not canonical base64")
    return raw


def check_b64_32(x: object, what: str) -> bytes:
    """Base64 of exactly 32 bytes (hashes, public keys); a fast path for proofs."""
    if not isinstance(x, str) or not _B64_32_RE.fullmatch(x):
        raise Invalid(f"{what} must be canonical base64 of 32 bytes")
    return binascii.a2b_base64(x)


def check_time(x: object, what: str) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, a real UTC date and time, seconds 00-59."""
    if not isinstance(x, str):
        raise Invalid(f"{what} must be a time string")
    if _EASY_TIME_RE.fullmatch(x) and x[:4] != "0000":
        return x
    m = _TIME_RE.fullmatch(x)
    if not m:
        raise Invalid(f"{what} must look like 2026-11-30T02:00:00Z")
    try:
        y, mo, d, h, mi, sec = (int(g) for g in m.groups())
        datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except ValueError as exc:
        raise Invalid(f"{what} is not a valid date and time") from exc
    return x


def time_from_unix(seconds: int) -> str:
    """Unix seconds to the spec's time string (for drand round times)."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError) as exc:
        raise Invalid("time out of range") from exc


def format_time(dt: datetime) -> str:
    """An aware datetime as the spec's time string (the app's clock gives aware UTC times)."""
    if dt.tzinfo is None:
        raise Invalid("naive datetime")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_identifier(x: object) -> bool:
    return isinstance(x, str) and _ID_RE.fullmatch(x) is not None


def check_identifier(x: object, what: str) -> str:
    if not is_identifier(x):
        raise Invalid(f"{what} must be an identifier ([A-Za-z0-9][A-Za-z0-9._:-]{{0,127}})")
    return cast(str, x)


def _all_lines(pattern: re.Pattern[str], items: Collection[object]) -> bool:
    """Does every item, a string without "\n", match ``pattern``'s line (see _ID_LINES_RE)?"""
    if not items:
        return True
    try:
        text = "\n".join(items)  # type: ignore[arg-type]  # TypeError: a non-string
    except TypeError:
        return False
    text += "\n"
    # One "\n" per item: an item containing "\n" would otherwise pass as two lines.
    return text.count("\n") == len(items) and pattern.fullmatch(text) is not None


def all_identifiers(items: Collection[object]) -> bool:
    """Is every item an identifier (``is_identifier``)?"""
    return _all_lines(_ID_LINES_RE, items)


def all_easy_times(items: Collection[object]) -> bool:
    """Is every item a time string valid in every month and year (so ``check_time`` passes)?

    False does not mean invalid: 29-31 of a month need the full check."""
    return _all_lines(_EASY_TIME_LINES_RE, items)


def check_identifiers(x: object, what: str) -> list[str]:
    """An array of identifiers (pools have 10^4-10^5 of them)."""
    items = check_list(x, what)
    if not all_identifiers(items):
        raise Invalid(f"{what} must be an array of identifiers")
    return items


def check_hex32_values(x: object, what: str) -> dict[str, str]:
    """An object of identifier keys and 32-byte hex values (the record's tickets)."""
    obj = check_object(x, what)
    if not all_identifiers(obj.keys()):
        raise Invalid(f"{what} keys must be identifiers")
    if not _all_lines(_HEX32_LINES_RE, obj.values()):
        raise Invalid(f"{what} values must be 64 lowercase hex characters")
    return obj


def check_text(x: object, what: str, lo: int, hi: int) -> str:
    """NFC text with no Cc/Cf code points, ``lo``..``hi`` code points long."""
    if not isinstance(x, str):
        raise Invalid(f"{what} must be a string")
    if not lo <= len(x) <= hi:
        raise Invalid(f"{what} must be {lo}-{hi} code points")
    if not x.isascii():
        try:
            x.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Invalid(f"{what} is not valid Unicode") from exc
        if not unicodedata.is_normalized("NFC", x):
            raise Invalid(f"{what} is not NFC")
    for ch in x:
        if unicodedata.category(ch) in ("Cc", "Cf"):
            raise Invalid(f"{what} contains a control or format character U+{ord(ch):04X}")
    return x


def check_object(x: object, what: str) -> dict[str, JSON]:
    if not isinstance(x, dict):
        raise Invalid(f"{what} must be an object")
    return x


def check_list(x: object, what: str) -> list[JSON]:
    if not isinstance(x, list):
        raise Invalid(f"{what} must be an array")
    return x


def check_keys(obj: dict[str, JSON], required: set[str] | frozenset[str], what: str) -> None:
    """Exactly the given keys: a missing or extra key is a format error."""
    keys = obj.keys()
    if keys != required:
        missing = sorted(required - keys)
        extra = sorted(keys - required)
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        raise Invalid(f"{what}: " + "; ".join(parts))


def check_json_values(x: JSON) -> None:
    """Every string valid Unicode and NFC, every number an integer 0..2^53-1 (spec §1).

    Iterative so that deeply nested (but parseable) input cannot exhaust the stack.
    """
    stack: list[JSON] = [x]
    normalized = unicodedata.is_normalized
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise Invalid("a string is not valid Unicode") from exc
                if not normalized("NFC", v):
                    raise Invalid(f"string {v[:40]!r} is not NFC")
        elif isinstance(v, dict):
            stack.extend(v.keys())  # keys obey the same string rules as values
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif v is None or isinstance(v, bool):
            continue
        elif type(v) is int:
            if not 0 <= v <= MAX_INT:
                raise Invalid(f"integer {v} out of range 0..2^53-1")
        else:
            raise Invalid("numbers must be integers (no floats)")
