"""RFC 6962 / RFC 9162 §2.1 Merkle tree hashes, proofs and their verification.

The verification functions are the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms.  Proof
*generation* is written once, over a ``range_hash(a, b)`` callback returning MTH(D[a:b]), so the
reference (hashing a list) and the incremental log (reading stored subtree hashes) share the
splitting logic but not the hashing.
"""

from __future__ import annotations

import hashlib
import operator
from binascii import a2b_base64, b2a_base64
from collections.abc import Callable, Sequence
from typing import TypeVar

EMPTY_ROOT = hashlib.sha256(b"").digest()
_NODE = b"\x01"

RangeHash = Callable[[int, int], bytes]
T = TypeVar("T")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaves: Sequence[bytes]) -> bytes:
    """Merkle tree hash of a list of leaf data (direct recursive definition)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = split_point(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH given the leaf hashes, bottom-up in O(n) (used for pool roots)."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    sha256 = hashlib.sha256  # node_hash written out: pools have 10^4-10^5 leaves
    while len(level) > 1:
        nxt = [sha256(b"\x01" + level[i] + level[i + 1]).digest()
               for i in range(0, len(level) - 1, 2)]  # fmt: skip
        if len(level) % 2:
            # An odd node is promoted unchanged: same as RFC 6962's split at the power of two.
            nxt.append(level[-1])
        level = nxt
    return level[0]


# --- proof generation ------------------------------------------------------------------------


def inclusion_path(index: int, size: int, range_hash: RangeHash) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size]), leaf to root."""
    if not 0 <= index < size:
        raise ValueError("index out of range")
    out: list[bytes] = []
    a, b, m = 0, size, index
    while b - a > 1:
        k = split_point(b - a)
        if m < k:
            out.append(range_hash(a + k, b))
            b = a + k
        else:
            out.append(range_hash(a, a + k))
            a, m = a + k, m - k
    out.reverse()
    return out


def consistency_path(old: int, new: int, range_hash: RangeHash) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old, D[0:new]); empty when old is 0 or equal to new."""
    if not 0 <= old <= new:
        raise ValueError("sizes out of range")
    if old == 0 or old == new:
        return []
    out: list[bytes] = []
    a, b, m, complete = 0, new, old, True
    while True:
        n = b - a
        if m == n:
            if not complete:
                out.append(range_hash(a, b))
            break
        k = split_point(n)
        if m <= k:
            out.append(range_hash(a + k, b))
            b = a + k
        else:
            out.append(range_hash(a, a + k))
            a, m, complete = a + k, m - k, False
    out.reverse()
    return out


def reference_range_hash(leaves: Sequence[bytes]) -> RangeHash:
    """A ``range_hash`` over an in-memory list, for tests and small trees."""
    return lambda a, b: mth(leaves[a:b])


# --- verification (RFC 9162) -----------------------------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof for leaf *hash* ``leaf``; ValueError if malformed."""
    if not 0 <= index < size:
        raise ValueError("index not below tree size")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Does ``proof`` show leaf hash ``leaf`` at ``index`` in the tree of ``size`` with ``root``?"""
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, with the trivial cases (old 0 or old == new) needing an empty proof."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def verify_inclusions(
    items: Sequence[tuple[int, bytes, Sequence[T]]],
    size: int,
    root: bytes,
    decode: Callable[[T], bytes],
) -> int | None:
    """Verify many inclusion proofs against one tree; returns the first failing item or None.

    Same outcome as calling :func:`verify_inclusion` on each, but a bundle's proofs share their
    upper paths, so once a proof reaches a node another proof already verified (same position,
    same hash) and its remaining elements are that proof's remaining elements, the rest of the
    computation is identical and is skipped.  ``(fn, sn)`` of RFC 9162's loop identifies the
    node position: ``sn`` strictly decreases with the level until it reaches 0.

    Proof elements may be kept encoded (``decode`` turns one into a hash; it must be a
    bijection, as canonical base64 is): only the elements actually hashed are decoded.
    """
    # A node position (fn, sn) as one int: fn <= sn < size, so fn fits below the shift.
    shift = max(size.bit_length(), 1)
    known: dict[int, tuple[bytes, Sequence[T], int]] = {}
    setdefault = known.setdefault
    sha256 = hashlib.sha256
    last = size - 1
    for n, (index, leaf, proof) in enumerate(items):
        if not 0 <= index < size:
            return n
        fn, sn, r = index, last, leaf
        for j, e in enumerate(proof):
            here = (r, proof, j)
            seen = setdefault(sn << shift | fn, here)
            if seen is not here:
                if seen[0] != r or seen[1][seen[2] :] != proof[j:]:
                    return n
                break
            if sn == 0:
                return n
            p = decode(e)
            if fn & 1 or fn == sn:
                r = sha256(b"\x01" + p + r).digest()
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
            else:
                r = sha256(b"\x01" + r + p).digest()
            fn >>= 1
            sn >>= 1
        else:
            if sn != 0 or r != root:
                return n
    return None


# A proof element as ``binascii.b2a_base64`` writes a 32-byte hash: 43 symbols, "=" and "\n".
B64_UNIT = 45


def run_inclusions_hold(
    first: int, leaves: Sequence[bytes], counts: Sequence[int], units: bytes, size: int,
    root: bytes,
) -> bool:  # fmt: skip
    """Do the proofs of the consecutive leaves ``first``, ``first + 1``, … all verify?

    ``leaves`` are the leaf hashes; ``units`` is every proof's elements, in order, each as
    ``b2a_base64`` writes it (43 symbols, "=", "\\n"), and ``counts[n]`` the number of elements
    of leaf ``first + n``'s proof.  True means :func:`verify_inclusions` would find no failing
    item; False means that some proof may fail — only :func:`verify_inclusions` says which, so
    the caller then runs it.

    Why True is exact.  RFC 9162's loop walks a proof level by level: at level ``j`` the node
    is ``fn = index >> j`` among the level's ``ceil(size / 2^j)`` nodes; the last node of a
    level with no right sibling is carried up unchanged and takes no element; every other node
    takes one element, its sibling, on the left when ``fn`` is odd.  An audit path is thus
    fixed by the tree, so instead of walking 10^4 proofs this builds, once, the tree over the
    run's leaves (each inner node hashed once) and, top-down, the path every leaf's proof must
    then be, and compares them byte for byte.  A sibling outside the run (at most one at each
    end of a level) is taken from the first or last leaf's proof and decoded by ``a2b_base64``,
    as the verifier's walk decodes it; every other sibling is a hash computed from the leaves,
    written as canonical base64 (one spelling per hash).  If every proof equals its expected
    path, walking it hashes exactly the nodes built here and ends at the built top, so all
    succeed when that top is the root — no assumption on SHA-256 is needed.  If any byte
    differs the answer is False and the one-by-one walk decides, and names the failure.

    Walking the proofs of 10^4 sign-ups one by one is ~10^5 interpreter steps (decoding,
    hashing, comparing their shared upper paths); here it is C-level ``map`` calls over each
    level's 10^4 … 1 nodes and one comparison of the whole text.
    """
    n = len(leaves)
    if n == 0:
        return not counts and not units
    total = sum(counts)
    if not (n == len(counts) and first >= 0 and first + n <= size
            and len(units) == B64_UNIT * total):  # fmt: skip
        return False
    sha256 = hashlib.sha256
    digest = type(sha256()).digest
    unit = B64_UNIT
    # Where the walks of the run's first and last leaf are in the text, and where they end.
    first_at, first_end = 0, unit * counts[0]
    last_at, last_end = unit * (total - counts[-1]), len(units)
    siblings: list[tuple[int, list[bytes]]] = []  # per level: lo, each node's sibling unit
    vals, lo, m = list(leaves), first, size
    while m > 1:  # bottom-up: nodes lo .. hi of the level's m
        hi = lo + len(vals) - 1
        a, b = 0, len(vals)
        head_v: list[bytes] = []
        head_u: list[bytes] = []
        tail_v: list[bytes] = []
        tail_u: list[bytes] = []
        if lo & 1:  # a right child whose left sibling is outside the run: from the proof
            if first_at + unit > first_end:
                return False
            u = units[first_at : first_at + unit]
            head_v.append(sha256(_NODE + a2b_base64(u) + vals[0]).digest())
            head_u.append(u)
            a = 1
        if not hi & 1 and b > a:
            b -= 1
            if hi == m - 1:  # the level's last node and a left child: no sibling
                tail_v.append(vals[b])
                tail_u.append(b"")
            else:  # its right sibling is outside the run: from the proof
                if last_at + unit > last_end:
                    return False
                u = units[last_at : last_at + unit]
                tail_v.append(sha256(_NODE + vals[b] + a2b_base64(u)).digest())
                tail_u.append(u)
        left, right = vals[a:b:2], vals[a + 1 : b : 2]
        inner = list(map(b2a_base64, vals[a:b]))
        inner[0::2], inner[1::2] = inner[1::2], inner[0::2]  # each node's sibling
        siblings.append((lo, head_u + inner + tail_u))
        parents = map(digest, map(sha256, map(operator.add, map(_NODE.__add__, left), right)))
        vals = head_v + list(parents) + tail_v
        if lo & 1 or lo < m - 1:  # the first leaf's walk took an element at this level
            first_at += unit
        if hi & 1 or hi < m - 1:
            last_at += unit
        lo, m = lo >> 1, (m + 1) >> 1
    if vals != [root]:
        return False
    paths = [b""]  # top-down: the path from each node of a level up to the root
    for lo, sibs in reversed(siblings):
        upper = paths * 2  # each node's parent: index (lo + t) // 2 - lo // 2
        upper[0::2] = upper[1::2] = paths
        paths = list(map(bytes.__add__, sibs, upper[lo & 1 : (lo & 1) + len(sibs)]))
    return list(map(len, paths)) == [unit * c for c in counts] and b"".join(paths) == units
