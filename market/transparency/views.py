"""Public transparency URLs (api.md): the key, the checkpoint, the log, consistency proofs."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue

from lottery.encoding import b64encode
from market.api.spec import error_response
from market.auth import ANYONE, access
from market.transparency import log
from market.transparency.keys import platform_key

bp = Blueprint("transparency", __name__, url_prefix="/transparency")


def _bad(message: str) -> ResponseReturnValue:
    return error_response(400, "bad_request", message)


def _int_arg(name: str, default: int | None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 15:
        raise ValueError(f"{name} must be a non-negative integer")
    return int(raw)


@bp.route("")
@access(ANYONE)
def index() -> str:
    key = platform_key()
    return render_template("transparency/index.html", checkpoint=log.latest_checkpoint(),
                           size=log.size(), key=key)


@bp.route("/key")
@access(ANYONE)
def key() -> ResponseReturnValue:
    k = platform_key()
    return jsonify({"public_key": k.public_b64, "verifier_key": k.verifier_key,
                    "key_name": k.name, "origin": k.name, "algorithm": "Ed25519"})


@bp.route("/checkpoint")
@access(ANYONE)
def checkpoint() -> ResponseReturnValue:
    cp = log.latest_checkpoint()
    if cp is None:
        return Response("the log is empty\n", status=404, mimetype="text/plain")
    return Response(cp.note, mimetype="text/plain")


@bp.route("/log")
@access(ANYONE)
def leaves() -> ResponseReturnValue:
    """Leaves ``start <= seq < end`` as JSON lines, exactly the bytes that were hashed."""
    size = log.size()
    try:
        start = _int_arg("start", 0)
        end = _int_arg("end", size)
    except ValueError as exc:
        return _bad(str(exc))
    if start is None or end is None or not start <= end <= size:
        return _bad(f"need 0 <= start <= end <= {size} (the log's size)")

    def body() -> Iterator[bytes]:
        for leaf in log.leaves(start, end):
            yield leaf + b"\n"

    return Response(stream_with_context(body()), mimetype="application/x-ndjson",
                    headers={"X-Log-Size": str(size)})


@bp.route("/consistency")
@access(ANYONE)
def consistency() -> ResponseReturnValue:
    """RFC 9162 §2.1.4 consistency proof between two tree sizes."""
    size = log.size()
    try:
        old = _int_arg("from", None)
        new = _int_arg("to", size)
    except ValueError as exc:
        return _bad(str(exc))
    if old is None or new is None:
        return _bad("from is required")
    if not 0 <= old <= new <= size:
        return _bad(f"need 0 <= from <= to <= {size} (the log's size)")
    reader = log.reader(new)
    return jsonify({
        "from": old, "to": new,
        "from_root": b64encode(reader.root(old)), "to_root": b64encode(reader.root(new)),
        "proof": [b64encode(h) for h in log.consistency_proof(old, new)],
    })
