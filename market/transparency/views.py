"""Public transparency URLs (api.md): the key, the checkpoint, the log, consistency proofs."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, render_template, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from lottery.encoding import b64encode
from market.accounts.auth import ANYONE, access
from market.transparency import log
from market.transparency.keys import platform_key
from market.transparency.schemas import (
    CHECKPOINT,
    CONSISTENCY,
    LOG_LINES,
    ConsistencyQuery,
    LogQuery,
    TransparencyKeyOut,
)
from market.web.openapi import ApiError, endpoint

bp = Blueprint("transparency", __name__, url_prefix="/transparency")


@bp.route("")
@access(ANYONE)
def index() -> str:
    key = platform_key()
    return render_template("transparency/index.html", checkpoint=log.latest_checkpoint(),
                           size=log.size(), key=key)


@bp.route("/key")
@access(ANYONE)
@endpoint(response=TransparencyKeyOut, tag="transparency", errors=(), ignore_unknown=True)
def key() -> TransparencyKeyOut:
    """The platform's public key.

    The raw key is what `python -m lottery verify --pubkey` and `audit-log --pubkey` take."""
    k = platform_key()
    return TransparencyKeyOut(public_key=k.public_b64, verifier_key=k.verifier_key,
                              key_name=k.name, origin=k.name, algorithm="Ed25519")


@bp.route("/checkpoint")
@access(ANYONE)
@endpoint(response=CHECKPOINT, tag="transparency", errors=(404,), ignore_unknown=True)
def checkpoint() -> ResponseReturnValue:
    """The latest signed checkpoint of the draw log (text/plain).

    Save it: `audit-log --checkpoint` later proves the log only grew since. 404 while the log
    is empty."""
    cp = log.latest_checkpoint()
    if cp is None:
        raise ApiError(404, "not_found", _("日志为空。"))
    return Response(cp.note, mimetype="text/plain")


@bp.route("/log")
@access(ANYONE)
@endpoint(query=LogQuery, response=LOG_LINES, tag="transparency", ignore_unknown=True,
          headers={"X-Log-Size": "the log's size (its number of leaves) when it was read"})
def leaves(query: LogQuery) -> ResponseReturnValue:
    """Leaves `start <= index < end` of the draw log, as JSON lines.

    Exactly the bytes that were hashed, one per line: `audit-log` reads the whole log saved
    from here."""
    size = log.size()
    start = 0 if query.start is None else query.start
    end = size if query.end is None else query.end
    if end > size:
        raise ApiError(400, "invalid_parameter", _(
            "end: 不能超过日志的长度 %(size)s", size=size))
    if start > end:
        raise ApiError(400, "invalid_parameter", _("start: 不能大于 end"))

    def body() -> Iterator[bytes]:
        for leaf in log.leaves(start, end):
            yield leaf + b"\n"

    return Response(stream_with_context(body()), mimetype="application/x-ndjson",
                    headers={"X-Log-Size": str(size)})


@bp.route("/consistency")
@access(ANYONE)
@endpoint(query=ConsistencyQuery, response=CONSISTENCY, tag="transparency",
          ignore_unknown=True)
def consistency(query: ConsistencyQuery) -> ResponseReturnValue:
    """An RFC 9162 §2.1.4 consistency proof between two tree sizes of the draw log."""
    size = log.size()
    old = query.from_
    new = size if query.to is None else query.to
    if new > size:
        raise ApiError(400, "invalid_parameter", _(
            "to: 不能超过日志的长度 %(size)s", size=size))
    if old > new:
        raise ApiError(400, "invalid_parameter", _("from: 不能大于 to"))
    reader = log.reader(new)
    return jsonify({
        "from": old, "to": new,
        "from_root": b64encode(reader.root(old)), "to_root": b64encode(reader.root(new)),
        "proof": [b64encode(h) for h in log.consistency_proof(old, new)],
    })
