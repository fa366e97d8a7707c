"""RFC 9162 hashing and proofs from stored perfect subtrees (core/merkle.py), checked against a
direct implementation of the RFC's definitions and against the independent offline verifier."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from core import merkle
from tests.core.offline import verifier


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(f"entry {i}".encode()).digest() for i in range(n)]


def _mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 9162 2.1.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = merkle.largest_power_of_two_below(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _store(leaves: list[bytes]) -> dict[merkle.Key, bytes]:
    """Every perfect subtree, as the checkpoint job stores them (built leaf by leaf)."""
    compact = merkle.CompactRange()
    stored = {}
    for index, leaf in enumerate(leaves):
        stored[(0, index)] = merkle.leaf_hash(leaf)
        for level, position, value in compact.append(merkle.leaf_hash(leaf)):
            stored[(level, position)] = value
    return stored


sizes = st.integers(min_value=1, max_value=300)


@given(sizes)
def test_the_root_from_stored_subtrees_is_the_rfc_tree_hash(n):
    leaves = _leaves(n)
    stored = _store(leaves)
    assert merkle.root(n, merkle.from_mapping(stored)) == _mth(leaves)
    compact = merkle.CompactRange()
    for leaf in leaves:
        compact.append(merkle.leaf_hash(leaf))
    assert compact.root() == _mth(leaves)


@given(sizes, st.data())
def test_an_inclusion_proof_holds_for_every_leaf_and_only_for_it(n, data):
    leaves = _leaves(n)
    subtree = merkle.from_mapping(_store(leaves))
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    path = merkle.inclusion_path(index, n, subtree)
    root = _mth(leaves)
    leaf = merkle.leaf_hash(leaves[index])
    assert len(path) <= n.bit_length()
    assert len(merkle.needed(lambda s: merkle.inclusion_path(index, n, s))) <= 2 * n.bit_length() + 2
    assert verifier.verify_inclusion(index, n, leaf, path, root)
    # Another leaf, another index, a changed path or root: refused.
    other = merkle.leaf_hash(b"not in the log")
    assert not verifier.verify_inclusion(index, n, other, path, root)
    if n > 1:
        assert not verifier.verify_inclusion((index + 1) % n, n, leaf, path, root)
        tampered = [bytes(32), *path[1:]]
        assert not verifier.verify_inclusion(index, n, leaf, tampered, root)
    assert not verifier.verify_inclusion(index, n, leaf, path, bytes(32))


@given(sizes, st.data())
def test_a_consistency_proof_holds_between_any_two_sizes_and_fails_on_a_fork(n, data):
    leaves = _leaves(n)
    subtree = merkle.from_mapping(_store(leaves))
    m = data.draw(st.integers(min_value=1, max_value=n))
    path = merkle.consistency_path(m, n, subtree)
    first, second = _mth(leaves[:m]), _mth(leaves)
    assert verifier.verify_consistency(m, n, first, second, path)
    assert len(merkle.needed(lambda s: merkle.consistency_path(m, n, s))) <= 2 * n.bit_length() + 2
    # A history rewritten before m (a fork): the old root is not a prefix of the new tree.
    forked = [hashlib.sha256(b"rewritten").digest(), *leaves[1:]]
    assert not verifier.verify_consistency(m, n, _mth(forked[:m]), second, path)
    if m < n:
        forked_path = merkle.consistency_path(m, n, merkle.from_mapping(_store(forked)))
        assert not verifier.verify_consistency(m, n, first, _mth(forked), forked_path)


def test_the_proofs_match_the_rfc_9162_examples_for_seven_leaves():
    # RFC 9162 2.1.5: the tree of 7 leaves d0..d6. PATH(0) = [b, h, l]; PROOF(3, D[7]) = [c, d, g, l].
    leaves = _leaves(7)
    subtree = merkle.from_mapping(_store(leaves))
    a, b, c, d = (merkle.leaf_hash(x) for x in leaves[:4])
    g = merkle.node_hash(a, b)
    h = merkle.node_hash(c, d)
    e, f, j = (merkle.leaf_hash(x) for x in leaves[4:7])
    i = merkle.node_hash(e, f)
    l_ = merkle.node_hash(i, j)
    assert merkle.inclusion_path(0, 7, subtree) == [b, h, l_]
    assert merkle.inclusion_path(5, 7, subtree) == [e, j, merkle.node_hash(g, h)]
    assert merkle.consistency_path(3, 7, subtree) == [c, d, g, l_]
    assert merkle.consistency_path(4, 7, subtree) == [l_]
    assert merkle.consistency_path(6, 7, subtree) == [i, j, merkle.node_hash(g, h)]


@given(sizes, st.data())
def test_the_servers_own_consistency_check_agrees_with_the_offline_verifier(n, data):
    leaves = _leaves(n)
    subtree = merkle.from_mapping(_store(leaves))
    m = data.draw(st.integers(min_value=1, max_value=n))
    path = merkle.consistency_path(m, n, subtree)
    first, second = _mth(leaves[:m]), _mth(leaves)
    assert merkle.consistent(m, n, first, second, path)
    bad = [bytes(32), *path[1:]] if path else [bytes(32)]
    offline = verifier.verify_consistency(m, n, first, second, bad)
    assert merkle.consistent(m, n, first, second, bad) == offline
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    audit = merkle.inclusion_path(index, n, subtree)
    assert merkle.root_from_inclusion(index, n, merkle.leaf_hash(leaves[index]), audit) == second


@given(st.integers(min_value=0, max_value=150), st.integers(min_value=0, max_value=150))
def test_the_subtrees_completed_a_level_at_a_time_are_those_completed_leaf_by_leaf(half_start, count):
    """The checkpoint job hashes a batch of leaves a level at a time; it must store exactly the
    nodes, indexes and hashes the leaf-by-leaf compact range completes, from any (even) start."""
    start = 2 * half_start
    leaves = [merkle.leaf_hash(leaf) for leaf in _leaves(start + count)]
    stored = _store(_leaves(start))  # what the node table holds before the batch
    compact = merkle.CompactRange(start, [stored[key] for key in merkle.pieces(0, start)])
    expected = [node for leaf in leaves[start:] for node in compact.append(leaf)]

    found = merkle.completed_subtrees(start, leaves[start:], lambda level, index: stored[(level, index)])

    flat = [(level, first + n, value) for level, first, values in found for n, value in enumerate(values)]
    assert sorted(flat) == sorted(expected)
