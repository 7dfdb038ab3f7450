"""An incremental, append-only RFC 6962 log over a small node store.

The store keeps the hash of every complete, aligned subtree, keyed by ``(level, index)``:
node ``(l, i)`` is MTH(D[i*2^l : (i+1)*2^l]).  That is all Trillian/Tessera keep too, and it is
enough for everything:

* appending leaf ``n`` writes ``(0, n)`` and then one parent per trailing 1-bit of ``n``: each
  parent needs only its left sibling, which is stored — O(log n) reads and hashes;
* the root of any size ``m <= n`` folds the perfect subtrees of ``m``'s binary decomposition;
* an inclusion or consistency proof for any ``m <= n`` asks for MTH of ranges that are either
  perfect (one read) or the right edge of the size-``m`` tree (O(log n) reads), and the right
  edge is needed at most once per proof — O(log n) reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from lottery.merkle import EMPTY_ROOT, consistency_path, inclusion_path, leaf_hash, node_hash


class NodeStore(Protocol):
    """Where the log keeps its subtree hashes (the app: a database table).

    ``set_nodes`` must store the nodes and the new size atomically (one transaction), and
    appends must be serialised by the caller (the app holds its append lock).
    """

    def size(self) -> int:
        """Number of leaves appended so far."""
        ...

    def get_node(self, level: int, index: int) -> bytes | None:
        """Hash of the perfect subtree ``(level, index)``, or None if not (yet) complete."""
        ...

    def set_nodes(self, nodes: Mapping[tuple[int, int], bytes], size: int) -> None:
        """Store new perfect-subtree hashes and the new leaf count together."""
        ...


class MemoryNodeStore:
    """The in-memory :class:`NodeStore` (tests, the verifier, benchmarks)."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    def size(self) -> int:
        return self._size

    def get_node(self, level: int, index: int) -> bytes | None:
        return self._nodes.get((level, index))

    def set_nodes(self, nodes: Mapping[tuple[int, int], bytes], size: int) -> None:
        self._nodes.update(nodes)
        self._size = size


class MerkleLog:
    """Append leaves, get roots and proofs for any tree size up to the current one."""

    def __init__(self, store: NodeStore | None = None) -> None:
        self.store: NodeStore = store if store is not None else MemoryNodeStore()

    @property
    def size(self) -> int:
        return self.store.size()

    def _node(self, level: int, index: int) -> bytes:
        h = self.store.get_node(level, index)
        if h is None:
            raise LookupError(f"node store is missing subtree ({level}, {index})")
        return h

    def append(self, leaf: bytes) -> int:
        """Append one leaf (its data, not its hash); returns its index."""
        return self.append_many([leaf])[0]

    def append_many(self, leaves: Iterable[bytes]) -> tuple[int, int]:
        """Append leaves in order; returns ``(first index, new size)``, one store write."""
        start = n = self.size
        new: dict[tuple[int, int], bytes] = {}
        for data in leaves:
            h = leaf_hash(data)
            new[(0, n)] = h
            level, index = 0, n
            while index & 1:  # this node completes its parent: combine with the left sibling
                left = new.get((level, index - 1)) or self._node(level, index - 1)
                h = node_hash(left, h)
                level, index = level + 1, index >> 1
                new[(level, index)] = h
            n += 1
        if new:
            self.store.set_nodes(new, n)
        return start, n

    def range_hash(self, a: int, b: int) -> bytes:
        """MTH(D[a:b]) for a range inside the current tree, from stored perfect subtrees."""
        n = b - a
        if n <= 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and a % n == 0:
            return self._node(n.bit_length() - 1, a // n)
        # Split as RFC 6962 does: the left part is perfect and aligned in every range the
        # proof recursions ask for; the right part decomposes further.
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.range_hash(a, a + k), self.range_hash(a + k, b))

    def root(self, size: int | None = None) -> bytes:
        """Root of the tree of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError("size beyond the log")
        if size == 0:
            return EMPTY_ROOT
        # Perfect subtrees of size's binary decomposition, largest (leftmost) first.
        parts: list[bytes] = []
        offset = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                parts.append(self._node(level, offset >> level))
                offset += 1 << level
        r = parts.pop()
        while parts:
            r = node_hash(parts.pop(), r)
        return r

    def leaf_hash(self, index: int) -> bytes:
        return self._node(0, index)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError("index or size out of range")
        return inclusion_path(index, size, self.range_hash)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = self.size if new is None else new
        if not 0 <= old <= new <= self.size:
            raise ValueError("sizes out of range")
        return consistency_path(old, new, self.range_hash)


class CompactRange:
    """The right edge of a growing tree: streaming root computation in O(log n) memory.

    ``audit-log`` uses it to recompute the root of a large export without keeping every node.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []  # perfect subtree hashes, largest first

    def append_hash(self, h: bytes) -> None:
        n = self.size
        while n & 1:
            h = node_hash(self._stack.pop(), h)
            n >>= 1
        self._stack.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            r = node_hash(h, r)
        return r
