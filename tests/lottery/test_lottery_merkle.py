"""RFC 9162 proofs: every index and size up to 64, from the log and from the reference."""

from __future__ import annotations

import hashlib
from binascii import b2a_base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.log import CompactRange, MerkleLog
from lottery.merkle import (
    consistency_path,
    inclusion_path,
    leaf_hash,
    mth,
    reference_range_hash,
    root_from_leaf_hashes,
    run_inclusions_hold,
    verify_consistency,
    verify_inclusion,
    verify_inclusions,
)

N = 64
LEAVES = [f"leaf {i}".encode() for i in range(N)]


@pytest.fixture(scope="module")
def log() -> MerkleLog:
    log = MerkleLog()
    for i, leaf in enumerate(LEAVES):
        # Mix single appends and batches: both paths must give the same nodes.
        if i % 5 == 0:
            log.append_many(LEAVES[i : i + 3][:1])
        else:
            log.append(leaf)
    return log


def _tampered(proof: list[bytes]) -> list[list[bytes]]:
    out = []
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        out.append(bad)
    if proof:
        out.append(proof[:-1])
    out.append([*proof, proof[0] if proof else b"\x00" * 32])
    return out


def test_roots_match_reference(log: MerkleLog) -> None:
    for n in range(N + 1):
        assert log.root(n) == mth(LEAVES[:n])
        assert root_from_leaf_hashes([leaf_hash(x) for x in LEAVES[:n]]) == mth(LEAVES[:n])
    cr = CompactRange()
    for n, leaf in enumerate(LEAVES, 1):
        cr.append_hash(leaf_hash(leaf))
        assert cr.root() == mth(LEAVES[:n])


def test_inclusion_every_index_and_size(log: MerkleLog) -> None:
    for size in range(1, N + 1):
        root = mth(LEAVES[:size])
        ref = reference_range_hash(LEAVES[:size])
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            assert proof == inclusion_path(index, size, ref)
            lh = leaf_hash(LEAVES[index])
            assert verify_inclusion(index, size, lh, proof, root)
            for bad in _tampered(proof):
                assert not verify_inclusion(index, size, lh, bad, root)
            assert not verify_inclusion(index, size, leaf_hash(b"other"), proof, root)
            if size > 1:
                assert not verify_inclusion((index + 1) % size, size, lh, proof, root)
            assert not verify_inclusion(index + size, size, lh, proof, root)


def test_consistency_every_pair(log: MerkleLog) -> None:
    for new in range(1, N + 1):
        ref = reference_range_hash(LEAVES[:new])
        new_root = mth(LEAVES[:new])
        for old in range(0, new + 1):
            old_root = mth(LEAVES[:old])
            proof = log.consistency_proof(old, new)
            assert proof == consistency_path(old, new, ref)
            assert verify_consistency(old, new, old_root, new_root, proof)
            for bad in _tampered(proof) if proof else []:
                assert not verify_consistency(old, new, old_root, new_root, bad)
            if 0 < old < new:
                assert not verify_consistency(old, new, mth(LEAVES[1 : old + 1]), new_root, proof)
                assert not verify_consistency(old, new, old_root, mth(LEAVES[1 : new + 1]), proof)


def test_proofs_for_old_sizes_after_growth(log: MerkleLog) -> None:
    # The app serves proofs against any earlier checkpoint: size m < current size.
    assert log.size == N
    assert log.inclusion_proof(3, 10) == inclusion_path(3, 10, reference_range_hash(LEAVES[:10]))


def test_out_of_range() -> None:
    log = MerkleLog()
    log.append(b"x")
    with pytest.raises(ValueError):
        log.inclusion_proof(1, 1)
    with pytest.raises(ValueError):
        log.consistency_proof(1, 2)
    assert not verify_inclusion(0, 0, leaf_hash(b"x"), [], leaf_hash(b"x"))


def test_batch_verification_matches_single(log: MerkleLog) -> None:
    from lottery.merkle import verify_inclusions

    def ident(b: bytes) -> bytes:
        return b

    for size in (1, 2, 7, 33, 64):
        root = log.root(size)
        items = [(i, leaf_hash(LEAVES[i]), log.inclusion_proof(i, size)) for i in range(size)]
        assert verify_inclusions(items, size, root, ident) is None
        for n, (i, lh, proof) in enumerate(items):
            for bad in _tampered(proof):
                broken = [*items[:n], (i, lh, bad), *items[n + 1 :]]
                assert verify_inclusions(broken, size, root, ident) == n
            wrong_leaf = [*items[:n], (i, leaf_hash(b"x"), proof), *items[n + 1 :]]
            assert verify_inclusions(wrong_leaf, size, root, ident) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 70), st.data())
def test_batch_matches_each_proof_alone_for_any_subset(size: int, data: st.DataObject) -> None:
    """Any subset of leaves, any one proof broken: the batch names the first proof that fails
    alone."""
    from lottery.merkle import verify_inclusions

    leaves = [b"leaf %d" % i for i in range(size)]
    range_hash = reference_range_hash(leaves)
    root = range_hash(0, size)
    chosen = sorted(data.draw(st.sets(st.integers(0, size - 1), min_size=1)))
    items = [(i, leaf_hash(leaves[i]), inclusion_path(i, size, range_hash)) for i in chosen]
    n = data.draw(st.integers(0, len(items) - 1))
    index, leaf, proof = items[n]
    how = data.draw(st.sampled_from(["none", "element", "drop", "add", "leaf", "swap"]))
    if how == "element" and proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        proof = [*proof[:j], hashlib.sha256(proof[j]).digest(), *proof[j + 1 :]]
    elif how == "drop" and proof:
        proof = proof[:-1]
    elif how == "add":
        proof = [*proof, root]
    elif how == "leaf":
        leaf = leaf_hash(b"other")
    elif how == "swap" and len(proof) > 1:
        proof = [proof[1], proof[0], *proof[2:]]
    items[n] = (index, leaf, proof)
    failing = [k for k, (i, lh, p) in enumerate(items) if not verify_inclusion(i, size, lh, p, root)]
    assert verify_inclusions(items, size, root, lambda e: e) == (failing[0] if failing else None)


def _b64_units(proof: list[bytes]) -> bytes:
    return b"".join(map(b2a_base64, proof))


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 70), st.data())
def test_run_check_answers_as_the_walk_for_any_run(size: int, data: st.DataObject) -> None:
    """Consecutive leaves anywhere in a tree of any size, their proofs intact or any one of
    them changed (an element replaced by another hash of the tree or a stranger, dropped,
    added, two swapped, moved to the neighbour's proof) or a leaf changed: the bulk check
    says True exactly when the one-by-one walk finds no failure.

    Only True is relied on (False hands over to the walk); False on proofs that all verify
    would mean a SHA-256 collision, or a flaw here — so both directions are asserted."""
    leaves = [b"leaf %d" % i for i in range(size)]
    range_hash = reference_range_hash(leaves)
    root = range_hash(0, size)
    first = data.draw(st.integers(0, size - 1))
    count = data.draw(st.integers(1, size - first))
    indexes = list(range(first, first + count))
    hashes = [leaf_hash(leaves[i]) for i in indexes]
    proofs = [inclusion_path(i, size, range_hash) for i in indexes]
    n = data.draw(st.integers(0, count - 1))
    proof = proofs[n]
    nodes = sorted({h for p in proofs for h in p} | {root, *hashes})
    how = data.draw(st.sampled_from(
        ["none", "element", "tree node", "drop", "add", "swap", "leaf", "move", "root"]))  # fmt: skip
    if how in ("element", "tree node") and proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        other = data.draw(st.sampled_from(nodes)) if how == "tree node" else bytes(32)
        proof[j] = other
    elif how == "drop" and proof:
        proof.pop(data.draw(st.integers(0, len(proof) - 1)))
    elif how == "add":
        proof.insert(data.draw(st.integers(0, len(proof))), data.draw(st.sampled_from(nodes)))
    elif how == "swap" and len(proof) > 1:
        j = data.draw(st.integers(0, len(proof) - 2))
        proof[j], proof[j + 1] = proof[j + 1], proof[j]
    elif how == "leaf":
        hashes[n] = data.draw(st.sampled_from(nodes))
    elif how == "move" and proof and n + 1 < count:
        proofs[n + 1].insert(0, proof.pop())
    elif how == "root":
        root = data.draw(st.sampled_from(nodes))
    items = list(zip(indexes, hashes, proofs, strict=True))
    walk = verify_inclusions(items, size, root, lambda e: e)
    units = b"".join(map(_b64_units, proofs))
    held = run_inclusions_hold(first, hashes, list(map(len, proofs)), units, size, root)
    assert held == (walk is None), (how, walk)


def test_run_check_edges() -> None:
    """Empty runs, runs past the end of the tree, and counts that do not add up."""
    leaves = [b"leaf %d" % i for i in range(5)]
    range_hash = reference_range_hash(leaves)
    root = range_hash(0, 5)
    proofs = [inclusion_path(i, 5, range_hash) for i in range(5)]
    hashes = [leaf_hash(x) for x in leaves]
    units = b"".join(map(_b64_units, proofs))
    counts = list(map(len, proofs))
    assert run_inclusions_hold(0, hashes, counts, units, 5, root)
    assert run_inclusions_hold(0, [], [], b"", 5, root)
    assert not run_inclusions_hold(0, [], [1], b"", 5, root)
    assert not run_inclusions_hold(1, hashes, counts, units, 5, root)  # past the end
    assert not run_inclusions_hold(0, hashes, counts, units, 4, root)
    assert not run_inclusions_hold(0, hashes, [*counts[:-1], counts[-1] + 1], units, 5, root)
    assert not run_inclusions_hold(0, hashes, counts, units + b"A", 5, root)
    assert run_inclusions_hold(0, hashes[:1], [0], b"", 1, hashes[0])  # a tree of one leaf
    assert not run_inclusions_hold(0, hashes[:1], [1], units[:45], 1, hashes[0])
