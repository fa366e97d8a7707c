"""Merkle tree hashing, inclusion and consistency proofs as in Certificate Transparency (RFC 9162
section 2.1), over a tree whose perfect subtrees are looked up rather than recomputed.

``leaf = SHA-256(0x00 || leaf input)``, ``node = SHA-256(0x01 || left || right)``. A *perfect
subtree* at ``(level, index)`` covers the leaves ``[index * 2**level, (index + 1) * 2**level)``;
every range the RFC's recursion visits splits into O(log n) such aligned subtrees, so a root, an
audit path or a consistency proof costs O(log n) lookups of stored subtree hashes, never a walk
over the leaves. The lookups go through a ``Subtrees`` callable, so this module knows nothing of
where the hashes live (core/transparency.py keeps them in PostgreSQL); the algorithms run twice,
once to learn which subtrees they need (fetched in one query) and once to compute.

The verifying side is docs/verify_ledger_proof.py: an independent implementation of the RFC's
verification algorithms with the standard library only, checked against this one by the tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

Key = tuple[int, int]  # (level, index) of a perfect subtree
Subtrees = Callable[[int, int], bytes]


def leaf_hash(leaf_input: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf_input).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def pieces(start: int, end: int) -> list[Key]:
    """The aligned perfect subtrees that make up ``[start, end)``, largest (leftmost) first.

    Every range the RFC recursion reaches starts at a multiple of the smallest power of two not
    below its size, so splitting its size by binary digits gives aligned subtrees."""
    keys, size = [], end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def range_hash(start: int, end: int, subtree: Subtrees) -> bytes:
    """MTH(D[start:end]) from its perfect subtrees: folded right to left as the RFC's recursion
    would combine them."""
    keys = pieces(start, end)
    if not keys:
        return hashlib.sha256(b"").digest()  # MTH of the empty tree
    result = subtree(*keys[-1])
    for level, index in reversed(keys[:-1]):
        result = node_hash(subtree(level, index), result)
    return result


def root(size: int, subtree: Subtrees) -> bytes:
    return range_hash(0, size, subtree)


def _path(m: int, start: int, end: int, subtree: Subtrees) -> list[bytes]:
    if end - start == 1:
        return []
    k = largest_power_of_two_below(end - start)
    if m < start + k:
        return [*_path(m, start, start + k, subtree), range_hash(start + k, end, subtree)]
    return [*_path(m, start + k, end, subtree), range_hash(start, start + k, subtree)]


def inclusion_path(index: int, size: int, subtree: Subtrees) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1: the audit path of leaf ``index`` in a tree of ``size``."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    return _path(index, 0, size, subtree)


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """The root an audit path leads to from ``leaf`` (RFC 9162 2.1.3.2), or None if the path does
    not fit a tree of ``size`` leaves."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return result if sn == 0 else None


def _subproof(m: int, start: int, end: int, complete: bool, subtree: Subtrees) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [range_hash(start, end, subtree)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, start, start + k, complete, subtree), range_hash(start + k, end, subtree)]
    return [*_subproof(m - k, start + k, end, False, subtree), range_hash(start, start + k, subtree)]


def consistency_path(first: int, second: int, subtree: Subtrees) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1: that the tree of ``first`` leaves is a prefix of the
    tree of ``second`` leaves (empty when they are the same size)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    if first == second:
        return []
    return _subproof(first, 0, second, True, subtree)


def consistent(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """Whether ``path`` proves the tree of ``first`` leaves a prefix of that of ``second`` (RFC 9162
    2.1.4.2; equal sizes need an empty path and equal roots)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(sibling, fr), node_hash(sibling, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, sibling)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def needed(compute: Callable[[Subtrees], object]) -> set[Key]:
    """The subtrees ``compute`` looks up (it is run once with placeholder hashes)."""
    keys: set[Key] = set()

    def record(level: int, index: int) -> bytes:
        keys.add((level, index))
        return bytes(32)

    compute(record)
    return keys


def from_mapping(hashes: Mapping[Key, bytes]) -> Subtrees:
    """A ``Subtrees`` over fetched hashes; a missing one is a ``LookupError`` naming it."""

    def lookup(level: int, index: int) -> bytes:
        try:
            return hashes[(level, index)]
        except KeyError:
            first = index << level
            raise LookupError(
                f"the log has no hash of leaves {first + 1}-{first + (1 << level)} (level {level})"
            ) from None

    return lookup


def completed_subtrees(
    start: int, leaves: list[bytes], subtree: Subtrees
) -> list[tuple[int, int, list[bytes]]]:
    """The perfect subtrees of level >= 1 that ``leaves`` (the tree's leaves ``start``,
    ``start + 1``, ...) complete, level by level: ``(level, first index, hashes)``.

    What ``CompactRange.append`` yields leaf by leaf, computed a level at a time (a list
    comprehension of SHA-256 per level instead of a Python loop per leaf). ``subtree`` gives the
    stored subtrees before ``start`` that a new node's left half lies in (``pieces(0, start)``)."""
    out = []
    level, first, row = 0, start, leaves
    while row:
        if first & 1:  # the left sibling of the first node is complete already: stored
            row = [subtree(level, first - 1), *row]
            first -= 1
        pairs = len(row) >> 1
        if not pairs:
            break
        row = [hashlib.sha256(b"\x01" + row[2 * i] + row[2 * i + 1]).digest() for i in range(pairs)]
        level, first = level + 1, first >> 1
        out.append((level, first, row))
    return out


class CompactRange:
    """The right edge of a tree grown leaf by leaf: at most one perfect subtree per level, so
    O(log n) memory whatever the size. ``append`` returns the subtrees it completed (level >= 1)."""

    def __init__(self, size: int = 0, edge: Iterable[bytes] = ()) -> None:
        self.size = size
        # (level, hash) from the largest subtree down, as ``pieces(0, size)`` lists them.
        self.stack: list[tuple[int, bytes]] = [
            (level, value) for (level, _index), value in zip(pieces(0, size), edge, strict=True)
        ]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        completed = []
        level, value, position = 0, leaf, self.size
        while self.stack and self.stack[-1][0] == level:
            _level, left = self.stack.pop()
            value = node_hash(left, value)
            level += 1
            position >>= 1
            completed.append((level, position, value))
        self.stack.append((level, value))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        result = self.stack[-1][1]
        for _level, value in reversed(self.stack[:-1]):
            result = node_hash(value, result)
        return result
