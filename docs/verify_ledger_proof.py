#!/usr/bin/env python3
"""Check a ledger proof or checkpoint of the credit platform offline.

    python verify_ledger_proof.py PROOF.json --public-key credit-platform-public-key.pem [--origin URL]

Needs Python 3.11+ and the ``cryptography`` package only: no database, no network, nothing else
of the platform. ``PROOF.json`` is any of what the platform publishes (see docs/ledger.md):

- an inclusion proof (``/ledger/proof/<record id>.json``): the entry's hash is recomputed from its
  content, its leaf from that hash, the root from the leaf and the audit path (RFC 9162 2.1.3.2),
  and the root must be the one the checkpoint signed;
- a consistency proof (``/ledger/consistency.json?first=M&second=N``): the later tree must start with
  exactly the earlier one (RFC 9162 2.1.4.2), both checkpoints signed;
- checkpoints (``/ledger/checkpoints.json``, or one checkpoint): every signature must hold.

A checkpoint's signature is checked over the text rebuilt from its fields, never over a text the
file supplies. Exit status: 0 proven, 1 not proven (the message says what failed), 2 unreadable
input. The public key should come from a source you trust (saved once, compared with the key id
the platform shows), not from the same download as the proof.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BODY_HEADER = "credit-platform ledger checkpoint v1"
# The fields an entry's chain hash covers (everything but the hash itself), as core/ledger.py.
ENTRY_FIELDS = (
    "seq",
    "created_at",
    "action",
    "object_type",
    "object_id",
    "actor_id",
    "actor_name",
    "request_id",
    "before",
    "after",
    "prev_hash",
)


class NotProven(Exception):
    """The proof does not hold; the message says why."""


# -- RFC 9162 hashing and verification ---------------------------------------------------------------


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if leaf_index >= tree_size or leaf_index < 0:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2 (with first == second: an empty proof and equal roots)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a subtree of the second
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# -- The platform's formats ---------------------------------------------------------------------------


def _hex32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise NotProven(f"{what} is not a 64-digit hex hash")
    return raw


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the entry's fields (sorted keys, no spaces, UTF-8)."""
    missing = [name for name in ENTRY_FIELDS if name not in entry]
    if missing:
        raise NotProven(f"the entry lacks {', '.join(missing)}")
    fields = {name: entry[name] for name in ENTRY_FIELDS}
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()


def checkpoint_body(checkpoint: dict[str, Any]) -> bytes:
    try:
        size, root, when, origin = (
            checkpoint["tree_size"],
            checkpoint["root_hash"],
            checkpoint["timestamp"],
            checkpoint["origin"],
        )
    except KeyError as exc:
        raise NotProven(f"the checkpoint lacks {exc.args[0]}") from None
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise NotProven("the checkpoint's tree_size is not a positive whole number")
    _hex32(root, "the checkpoint's root_hash")
    try:
        dt.datetime.strptime(str(when), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise NotProven("the checkpoint's timestamp is not YYYY-MM-DDTHH:MM:SSZ") from None
    if not isinstance(origin, str) or "\n" in origin:
        raise NotProven("the checkpoint's origin is not one line of text")
    return f"{BODY_HEADER}\norigin: {origin}\nsize: {size}\nroot: {root}\ntime: {when}\n".encode()


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def check_checkpoint(checkpoint: Any, key: Ed25519PublicKey, origin: str | None) -> str:
    """Check one checkpoint's signature; a line describing it."""
    if not isinstance(checkpoint, dict):
        raise NotProven("a checkpoint is not a JSON object")
    body = checkpoint_body(checkpoint)
    if checkpoint.get("key_id") != key_id_of(key):
        raise NotProven(
            f"the checkpoint of size {checkpoint['tree_size']} names the key {checkpoint.get('key_id')!r}, "
            f"not the given public key ({key_id_of(key)})"
        )
    try:
        key.verify(base64.b64decode(str(checkpoint.get("signature", "")), validate=True), body)
    except (InvalidSignature, binascii.Error, ValueError):
        raise NotProven(
            f"the signature of the checkpoint of size {checkpoint['tree_size']} does NOT hold: it was "
            "altered or not signed with this key"
        ) from None
    if origin is not None and checkpoint["origin"] != origin:
        raise NotProven(f"the checkpoint was signed by {checkpoint['origin']!r}, not by {origin!r}")
    return (
        f"checkpoint of {checkpoint['tree_size']} entries, root {checkpoint['root_hash']}, signed by "
        f"{checkpoint['origin']} at {checkpoint['timestamp']} (key {checkpoint['key_id']})"
    )


def check_inclusion(proof: dict[str, Any], key: Ed25519PublicKey, origin: str | None) -> str:
    checkpoint = proof.get("checkpoint")
    described = check_checkpoint(checkpoint, key, origin)
    entry = proof.get("entry")
    if not isinstance(entry, dict):
        raise NotProven("the proof carries no entry")
    recomputed = entry_hash(entry)
    if recomputed != entry.get("hash"):
        raise NotProven(f"the entry's content does not match its hash (it hashes to {recomputed})")
    seq = entry["seq"]
    if not isinstance(seq, int) or proof.get("leaf_index") != seq - 1:
        raise NotProven("the leaf index is not the entry's sequence number minus one")
    if proof.get("tree_size") != checkpoint["tree_size"]:
        raise NotProven("the proof's tree size is not the checkpoint's")
    leaf = hash_leaf(_hex32(entry["hash"], "the entry's hash"))
    path = proof.get("inclusion_path")
    if not isinstance(path, list):
        raise NotProven("the proof carries no inclusion_path list")
    hashes = [_hex32(value, f"audit path hash {number}") for number, value in enumerate(path, start=1)]
    root = _hex32(checkpoint["root_hash"], "the root hash")
    if not verify_inclusion(seq - 1, checkpoint["tree_size"], leaf, hashes, root):
        raise NotProven(
            f"the audit path does NOT lead from entry #{seq} to the signed root: the entry is not in this "
            "log (or the proof was altered)"
        )
    proven = (
        f"PROVEN: ledger entry #{seq} ({entry.get('action')} of {entry.get('object_type')} "
        f"{entry.get('object_id')} at {entry.get('created_at')}) is in the {described}"
    )
    item = proof.get("item")
    if item is None:
        return proven
    return check_batch_item(item, entry) + "\n" + proven


def check_batch_item(item: Any, entry: dict[str, Any]) -> str:
    """A row of a bulk load: its leaf, SHA-256(0x00 || canonical JSON of object_type, object_id and
    state), must lead through ``batch_path`` to the Merkle root the batch entry recorded."""
    if not isinstance(item, dict) or not isinstance(item.get("state"), dict):
        raise NotProven("the proof's batch item carries no state")
    after = entry.get("after") if isinstance(entry.get("after"), dict) else {}
    if item.get("object_type") != after.get("object_type"):
        raise NotProven("the batch entry is not a batch of this kind of object")
    size, position = after.get("count"), item.get("position")
    if not isinstance(size, int) or item.get("batch_size") != size or not isinstance(position, int):
        raise NotProven("the item's position or the batch size does not fit the batch entry")
    path = item.get("batch_path")
    if not isinstance(path, list):
        raise NotProven("the batch item carries no batch_path list")
    leaf_input = json.dumps(
        {"object_type": item["object_type"], "object_id": item.get("object_id"), "state": item["state"]},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    hashes = [_hex32(value, f"batch path hash {number}") for number, value in enumerate(path, start=1)]
    root = _hex32(after.get("root"), "the batch root")
    if not verify_inclusion(position, size, hash_leaf(leaf_input), hashes, root):
        raise NotProven(
            f"the state of {item['object_type']} {item.get('object_id')} is NOT the one the batch entry "
            "committed to (or the proof was altered)"
        )
    return (
        f"PROVEN: {item['object_type']} {item.get('object_id')} had exactly the given state when loaded, "
        f"as row {position + 1} of the {size} of batch entry #{entry.get('seq')}"
    )


def check_consistency(proof: dict[str, Any], key: Ed25519PublicKey, origin: str | None) -> str:
    first, second = proof.get("first"), proof.get("second")
    check_checkpoint(first, key, origin)
    check_checkpoint(second, key, origin)
    assert isinstance(first, dict) and isinstance(second, dict)  # checked above
    path = proof.get("consistency_path")
    if not isinstance(path, list):
        raise NotProven("the proof carries no consistency_path list")
    hashes = [_hex32(value, f"proof hash {number}") for number, value in enumerate(path, start=1)]
    m, n = first["tree_size"], second["tree_size"]
    first_root = _hex32(first["root_hash"], "the first root")
    second_root = _hex32(second["root_hash"], "the second root")
    if not verify_consistency(m, n, first_root, second_root, hashes):
        raise NotProven(
            f"the log signed at size {n} does NOT begin with the log signed at size {m}: its history was "
            "rewritten (a fork), or the proof was altered"
        )
    return (
        f"PROVEN: the log of {n} entries (signed {second['timestamp']}) begins with exactly the log of "
        f"{m} entries (signed {first['timestamp']})"
    )


def check_checkpoints(data: Any, key: Ed25519PublicKey, origin: str | None) -> str:
    items = data["checkpoints"] if isinstance(data, dict) and "checkpoints" in data else [data]
    if isinstance(data, dict) and isinstance(data.get("latest"), dict):
        items = [*items, data["latest"]]
    if not isinstance(items, list) or not items:
        raise NotProven("no checkpoint to check")
    roots: dict[int, str] = {}
    for checkpoint in items:
        check_checkpoint(checkpoint, key, origin)
        size, root = checkpoint["tree_size"], checkpoint["root_hash"]
        if roots.setdefault(size, root) != root:
            raise NotProven(f"two signed checkpoints of size {size} have different roots: the log forked")
    return f"PROVEN: {len(roots)} checkpoint(s) signed with key {key_id_of(key)}, up to size {max(roots)}"


def check(data: Any, key: Ed25519PublicKey, origin: str | None = None) -> str:
    """What ``data`` proves (a line), or ``NotProven``."""
    if isinstance(data, dict) and "inclusion_path" in data:
        return check_inclusion(data, key, origin)
    if isinstance(data, dict) and "consistency_path" in data:
        return check_consistency(data, key, origin)
    return check_checkpoints(data, key, origin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("proof", type=Path, help="a proof or checkpoints JSON file from the platform")
    parser.add_argument(
        "--public-key", type=Path, required=True, help="the platform's Ed25519 public key (PEM)"
    )
    parser.add_argument("--origin", help="require checkpoints signed by this origin (the platform's address)")
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.proof.read_text(encoding="utf-8"))
        key = serialization.load_pem_public_key(args.public_key.read_bytes())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not isinstance(key, Ed25519PublicKey):
        print("error: the public key is not an Ed25519 key", file=sys.stderr)
        return 2
    try:
        print(check(data, key, args.origin))
    except NotProven as exc:
        print(f"NOT PROVEN: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
