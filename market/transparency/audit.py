"""Replay the stored log: every leaf hash, every stored subtree hash, every checkpoint, and the
§7 rules for every lottery (through :func:`lottery.audit.audit_log`, the regulators' tool).

Used by ``flask transparency audit`` and the regulator's transparency page.  It names the first
bad index when a stored row was altered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from lottery.audit import audit_log
from lottery.encoding import b64encode
from lottery.errors import CheckFailed
from lottery.log import CompactRange
from lottery.merkle import leaf_hash, node_hash
from lottery.note import verify_checkpoint
from market.db import db
from market.transparency import log
from market.transparency.keys import platform_key
from market.transparency.models import LogCheckpoint, LogLeaf, LogNode


@dataclass
class AuditReport:
    ok: bool
    size: int
    root_b64: str = ""
    problem: str = ""
    first_bad_index: int | None = None
    checks: list[str] = field(default_factory=list)


def run_audit() -> AuditReport:
    size = log.size()
    report = AuditReport(ok=False, size=size)
    key = platform_key()
    # 1. Leaves: contiguous, each leaf's hash equals the stored level-0 node.
    stored_leaf_hashes: dict[int, bytes] = {
        i: bytes(h) for i, h in db.session.execute(
            sa.select(LogNode.index, LogNode.hash).where(LogNode.level == 0))}
    data = bytearray()
    tree = CompactRange()
    roots: dict[int, bytes] = {0: tree.root()}
    checkpoint_sizes = set(db.session.scalars(sa.select(LogCheckpoint.size)))
    expected = 0
    for seq, leaf in db.session.execute(sa.select(LogLeaf.seq, LogLeaf.data).order_by(LogLeaf.seq)):
        leaf = bytes(leaf)
        if seq != expected:
            report.problem = f"leaf {expected} is missing"
            report.first_bad_index = expected
            return report
        if stored_leaf_hashes.get(seq) != leaf_hash(leaf):
            report.problem = f"leaf {seq} does not match its stored hash (the row was altered)"
            report.first_bad_index = seq
            return report
        tree.append_hash(leaf_hash(leaf))
        expected += 1
        if expected in checkpoint_sizes:
            roots[expected] = tree.root()
        data += leaf + b"\n"
    if expected != size:
        report.problem = f"the head says {size} leaves but {expected} are stored"
        report.first_bad_index = expected
        return report
    report.checks.append(f"leaves: {size} leaves, each matching its stored hash")
    # 2. Every stored inner node equals the hash of its children.
    nodes = {(lv, ix): bytes(h) for lv, ix, h in db.session.execute(
        sa.select(LogNode.level, LogNode.index, LogNode.hash).where(LogNode.level > 0))}
    for (lv, ix), h in sorted(nodes.items()):
        left = stored_leaf_hashes.get(2 * ix) if lv == 1 else nodes.get((lv - 1, 2 * ix))
        right = stored_leaf_hashes.get(2 * ix + 1) if lv == 1 else nodes.get((lv - 1, 2 * ix + 1))
        if left is None or right is None or node_hash(left, right) != h:
            report.problem = f"stored subtree ({lv}, {ix}) does not match its children"
            report.first_bad_index = ix << lv
            return report
    report.checks.append(f"subtrees: {len(nodes)} stored inner hashes recomputed")
    # 3. Every checkpoint is signed by the platform key and has the recomputed root.
    for cp in db.session.scalars(sa.select(LogCheckpoint).order_by(LogCheckpoint.size)):
        try:
            parsed = verify_checkpoint(cp.note, key.public_raw, key.name)
        except Exception as exc:  # noqa: BLE001  # any parse or signature failure is a finding
            report.problem = f"checkpoint {cp.size} does not verify: {exc}"
            report.first_bad_index = max(cp.size - 1, 0)
            return report
        if parsed.size != cp.size or parsed.root != roots.get(cp.size) or bytes(cp.root) != parsed.root:
            report.problem = f"checkpoint {cp.size} has another root than the stored leaves"
            report.first_bad_index = max(cp.size - 1, 0)
            return report
    report.checks.append(f"checkpoints: {len(checkpoint_sizes)} signed checkpoints verified")
    # 4. The §7 rules over every lottery, exactly as a regulator's offline audit-log runs them.
    try:
        result = audit_log(bytes(data), key.public_raw)
    except CheckFailed as exc:
        report.problem = f"{exc.check}: {exc.reason}"
        report.first_bad_index = _index_in(exc.reason)
        return report
    report.checks.append("rules: lottery-v1 §7 holds for every lottery")
    report.ok = True
    report.root_b64 = b64encode(result.root)
    return report


def _index_in(reason: str) -> int | None:
    match = re.search(r"(?:event|line) (\d+)", reason)
    return int(match.group(1)) if match else None
