"""``python -m lottery verify|rank|audit-log`` (spec §10).

Exit codes: 0 success, 1 a named check failed (``FAIL <check>: <reason>`` on stdout),
2 unreadable input or bad usage (one ``error …`` line on stderr), or a result that standard
output refused (``error output: …``; a reader that went away is not an error, see
:func:`_emit`).  No traceback ever: every
expected failure is caught and named, and a last-resort handler turns anything else into a
one-line error with exit 2.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any, NoReturn

from lottery.audit import audit_log
from lottery.draw import rank
from lottery.encoding import NotAnInteger, check_hex, cjson, is_identifier, loads_strict
from lottery.errors import CheckFailed, Invalid, Unreadable
from lottery.keys import parse_public_key_b64
from lottery.sources import check_source
from lottery.verify import CHECKS, verify_bundle

MAX_INPUT_BYTES = 64 * 1024 * 1024  # refuse absurd files before reading them into memory


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _read(path: str) -> bytes:
    try:
        p = Path(path)
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise Unreadable(f"{path} is larger than {MAX_INPUT_BYTES} bytes")
        return p.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read {path}: {exc.strerror or exc}") from exc


def _pubkey(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return parse_public_key_b64(text)
    except Invalid as exc:
        raise Unreadable(f"--pubkey: {exc}") from exc


def cmd_verify(args: argparse.Namespace) -> tuple[int, list[str]]:
    pinned = _pubkey(args.pubkey)
    bundle = loads_strict(_read(args.bundle))
    try:
        result = verify_bundle(bundle, pinned)
    except CheckFailed as exc:
        lines = [f"FAIL {exc.check}: {exc.reason}"]
        if args.verbose:
            lines += [f"passed {name}" for name in CHECKS[: CHECKS.index(exc.check)]]
        return 1, lines
    lines = list(result.lines())
    if args.verbose:
        lines += [f"passed {name}" for name in result.passed]
    return 0, lines


class _RankError(Exception):
    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.reason = rule, reason


def _nfc(x: Any) -> Any:
    """NFC-normalise every string of the input; keys that become equal are unreadable input."""
    if isinstance(x, str):
        return unicodedata.normalize("NFC", x)
    if isinstance(x, list):
        return [_nfc(v) for v in x]
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            nk = unicodedata.normalize("NFC", k)
            if nk in out:
                raise _RankError("input", f"two keys equal after NFC: {nk!r}")
            out[nk] = _nfc(v)
        return out
    return x


def rank_input(data: bytes) -> dict[str, Any]:
    """Validate a ``rank`` INPUT in the rule order of §10 and run the draw."""
    try:
        raw = loads_strict(data)
    except Unreadable as exc:
        raise _RankError("input", str(exc)) from exc
    if not isinstance(raw, dict):
        raise _RankError("input", "the input is not a JSON object")
    inp = _nfc(raw)
    types = {"lottery_id": str, "announcement_hash": str, "secret": str, "sources": list,
             "pool": list, "k": int}  # fmt: skip
    k = inp.get("k")
    # A huge integer literal is still an integer: it fails k-range, not input.
    huge_k = isinstance(k, NotAnInteger) and re.fullmatch(r"-?[0-9]+", k.text) is not None
    for key, typ in types.items():
        if key not in inp:
            raise _RankError("input", f"missing key {key}")
        if type(inp[key]) is not typ and not (key == "k" and huge_k):
            raise _RankError("input", f"{key} must be a JSON {typ.__name__}")
    if not all(isinstance(p, str) for p in inp["pool"]):
        raise _RankError("input", "pool must be an array of strings")
    if not all(isinstance(s, dict) for s in inp["sources"]):
        raise _RankError("input", "sources must be an array of objects")
    try:
        ann_hash = check_hex(inp["announcement_hash"], "announcement_hash")
        secret = check_hex(inp["secret"], "secret")
    except Invalid as exc:
        raise _RankError("hex", str(exc)) from exc
    if len(ann_hash) != 32:
        raise _RankError("hex", "announcement_hash must be 32 bytes")
    if len(secret) != 32:
        raise _RankError("secret", "the secret must be 32 bytes")
    if not inp["sources"]:
        raise _RankError("source", "at least one source is needed")
    for i, s in enumerate(inp["sources"]):
        try:
            check_source(s)
        except Invalid as exc:
            raise _RankError("source", f"source {i}: {exc}") from exc
    for i in [inp["lottery_id"], *inp["pool"]]:
        if not is_identifier(i):
            raise _RankError("identifier", f"{i[:60]!r} is not a valid identifier")
    if len(set(inp["pool"])) != len(inp["pool"]):
        raise _RankError("duplicate-id", "an agency id appears twice in the pool")
    if huge_k or not 1 <= k <= len(inp["pool"]):
        shown = k.text[:30] if huge_k else k
        raise _RankError("k-range", f"k={shown} is outside 1..{len(inp['pool'])}")
    result = rank(inp["lottery_id"], ann_hash, secret, inp["sources"], inp["pool"], k)
    return result.to_json()


def cmd_rank(args: argparse.Namespace) -> tuple[int, bytes]:
    try:
        try:
            data = _read(args.input)
        except Unreadable as exc:
            raise _RankError("input", str(exc)) from exc
        out = rank_input(data)
    except _RankError as exc:
        print(f"error {exc.rule}: {exc.reason}", file=sys.stderr)
        return 2, b""
    return 0, cjson(out) + b"\n"


def cmd_audit(args: argparse.Namespace) -> tuple[int, list[str]]:
    key = _pubkey(args.pubkey)
    assert key is not None  # noqa: S101 - argparse makes --pubkey required
    data = _read(args.log)
    old = None
    if args.checkpoint is not None:
        try:
            old = _read(args.checkpoint).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unreadable("the checkpoint file is not UTF-8") from exc
    try:
        result = audit_log(data, key, old)
    except CheckFailed as exc:
        return 1, [f"FAIL {exc.check}: {exc.reason}"]
    return 0, [f"OK {result.size} {base64.b64encode(result.root).decode('ascii')}"]


def _discard_stdout() -> None:
    """Point standard output at the null device: what is still buffered cannot be written,
    and the interpreter's flush at exit would report it again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def _emit(code: int, out: bytes | list[str]) -> int:
    """Write a command's result to standard output once its verdict (the exit code) is known.

    A reader that has gone away (``verify … | head -1``) or an output closed from the start
    (``>&-``) did not want the rest: the exit code stays the verdict.  An output that refuses
    the lines (a full disk) is an ``output`` error, exit 2: the result was asked for and could
    not be written."""
    data = out if isinstance(out, bytes) else "".join(f"{line}\n" for line in out).encode()
    if sys.stdout is None or not data:  # no standard output at all (closed before the start)
        return code
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _discard_stdout()
        return code
    except OSError as exc:
        _discard_stdout()
        print(f"error output: cannot write to standard output: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    return code


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lottery", description="agency-lottery/v1 verifier")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="verify a draw bundle")
    v.add_argument("bundle")
    v.add_argument("--pubkey", help="pinned platform public key (base64 of 32 raw bytes)")
    v.add_argument("--verbose", action="store_true", help="list every check passed")
    v.set_defaults(func=cmd_verify)
    r = sub.add_parser("rank", help="recompute a draw from its inputs")
    r.add_argument("input")
    r.set_defaults(func=cmd_rank)
    a = sub.add_parser("audit-log", help="audit the whole transparency log")
    a.add_argument("log")
    a.add_argument("--pubkey", required=True)
    a.add_argument("--checkpoint", help="an older signed checkpoint to check consistency with")
    a.set_defaults(func=cmd_audit)
    for sp in (v, r, a):
        sp.__class__ = _Parser  # subparsers must not exit with a traceback-free usage dump
    return p


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8")
    try:
        args = build_parser().parse_args(argv)
        code, out = args.func(args)
        return _emit(code, out)
    except _UsageError as exc:
        print(f"error usage: {exc}", file=sys.stderr)
        return 2
    except Unreadable as exc:
        print(f"error input: {exc}", file=sys.stderr)
        return 2
    except (MemoryError, RecursionError) as exc:
        print(f"error input: too large or too deeply nested ({type(exc).__name__})",
              file=sys.stderr)  # fmt: skip
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: the contract forbids tracebacks
        print(f"error internal: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
