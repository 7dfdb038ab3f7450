"""The draw audit (摇号核验): every lottery verified by the offline verifier, and a
checkpoint the regulator saved earlier checked against today's log (lottery-v1.md §5 note, §7).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from lottery.encoding import b64encode
from lottery.errors import CheckFailed
from lottery.merkle import verify_consistency
from lottery.note import parse_checkpoint, parse_note, verify_checkpoint
from lottery.verify import verify_bundle
from market.db import db
from market.i18n import N_
from market.regulator.errors import RuleError
from market.selection.draw import bundle
from market.selection.models import Lottery
from market.transparency import log
from market.transparency.keys import platform_key


@dataclass(frozen=True)
class LotteryStatus:
    lottery_id: str
    request_public_id: str
    state: str
    ok: bool | None  # None: nothing to verify yet (not drawn)
    check: str = ""
    reason: str = ""


def verify(bundle: Any) -> tuple[bool, str, str]:
    """Run the offline verifier on a bundle, pinned to the platform key: (ok, check, reason)."""
    try:
        verify_bundle(json.loads(json.dumps(bundle)), platform_key().public_raw)
    except CheckFailed as failure:
        return False, failure.check, failure.reason
    return True, "", ""


def statuses(limit: int = 500) -> list[LotteryStatus]:
    """The newest ``limit`` lotteries, each drawn one verified from its public bundle."""
    out = []
    for lottery in db.session.scalars(
            sa.select(Lottery).options(undefer(Lottery.record), undefer(Lottery.pool))
            .order_by(Lottery.id.desc()).limit(limit)):
        ok: bool | None = None
        check = reason = ""
        if lottery.record is not None and lottery.signature is not None:
            try:
                ok, check, reason = verify(bundle(lottery))
            except Exception as error:  # noqa: BLE001  # a bundle that cannot be built fails
                ok, check, reason = False, "bundle", str(error)[:300]
        out.append(LotteryStatus(lottery.lottery_id, lottery.request.public_id, lottery.state,
                                 ok, check, reason))
    return out


@dataclass
class Consistency:
    ok: bool
    message: str  # an N_() string
    params: dict[str, Any] = field(default_factory=dict)
    old_size: int | None = None
    old_root: str = ""
    new_size: int | None = None
    new_root: str = ""
    proof: list[str] = field(default_factory=list)


def check_saved_checkpoint(note: str) -> Consistency:
    """Does today's log extend the checkpoint ``note`` (a signed note saved earlier)?  Any
    regulator may ask; nothing is written.

    The note must verify under the platform key and name this log; then the consistency proof
    from its size to the latest checkpoint's size must link its root to today's signed root.
    Text that is not a signed checkpoint at all raises :class:`RuleError` on ``note``."""
    key = platform_key()
    text = note.replace("\r\n", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    # The verifier's reasons are in English, for the offline tool: the page says in the
    # reader's language which of the two things is wrong.
    try:
        parse_checkpoint(parse_note(text).text)
    except Exception:  # noqa: BLE001  # any parse failure
        # nothing to verify: the form was filled wrongly, which the page says next to it
        raise RuleError("note", N_("这不是一份签名检查点：请粘贴完整的检查点原文（来源、条数、"
                                   "根哈希三行，一个空行，再加签名行）。")) from None
    try:
        old = verify_checkpoint(text, key.public_raw, key.name)
    except Exception:  # noqa: BLE001  # any signature failure
        return Consistency(False, N_("检查点的签名无效：它不是本平台密钥签发的，或签发后被改动过。"))
    if old.origin != key.name:
        return Consistency(False, N_("检查点不属于本平台的日志（来源 %(origin)s）。"),
                           {"origin": old.origin})
    latest = log.latest_checkpoint()
    base = Consistency(False, "", old_size=old.size, old_root=b64encode(old.root))
    if latest is None or latest.size < old.size:
        base.message = N_("今天的日志比您保存的检查点还短：日志被截断或改写。")
        base.new_size = latest.size if latest else 0
        return base
    new_root = bytes(latest.root)
    proof = log.consistency_proof(old.size, latest.size)
    base.new_size, base.new_root = latest.size, b64encode(new_root)
    base.proof = [b64encode(h) for h in proof]
    if verify_consistency(old.size, latest.size, old.root, new_root, proof):
        base.ok = True
        base.message = N_("今天的日志延续了您保存的检查点：此前的记录没有被改写。")
    else:
        base.message = N_("一致性证明不成立：今天的日志没有延续您保存的检查点，历史可能被改写。")
    return base
