"""Encryption at rest for natural persons' data (DOMAIN.md sections 6 and 10): "usable but not visible".

AES-256-GCM (authenticated: a flipped byte fails to decrypt) with a random 96-bit nonce. Each value
is bound to its place by the associated data ``<table>.<column>#<row id>``: a ciphertext copied to
another row or column fails to decrypt instead of revealing someone else's number. Each ciphertext
carries the id of the key that sealed it, so keys can be rotated (``rotate_personal_data_keys``)
while reads keep working: the current key seals, the current and the previous ones open.

Format: ``0x02 || key id (4 bytes) || nonce (12) || ciphertext+tag``. Version 1 (``0x01 || nonce ||
sealed``, bound to a purpose only) is still opened, with any known key, until rotation rewrites it.

The blind index (an exact lookup without decrypting every row) is a keyed HMAC-SHA256 written as
``<key id>$<hex>``; during a rotation a lookup computes it under every known key
(``blind_indexes``). Without the key it cannot be brute-forced over the small space of identity
numbers.

Keys: ``FIELD_ENCRYPTION_KEY`` and ``BLIND_INDEX_KEY`` (base64 of 32 bytes) are the current ones;
``FIELD_ENCRYPTION_OLD_KEYS`` and ``BLIND_INDEX_OLD_KEYS`` (comma-separated) the ones still being
read. A key's id is a fingerprint of the key, so nobody has to number keys by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_LEGACY = b"\x01"
_VERSION = b"\x02"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
INDEX_SEPARATOR = "$"


class UnknownKey(ValueError):
    """The ciphertext names a key this process does not hold (rotated away too early)."""


def _decode_key(setting: str, raw: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.strip().encode() + b"=" * (-len(raw.strip()) % 4))
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{setting} is not valid base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{setting} must decode to 32 bytes, got {len(key)}")
    return key


def key_id(key: bytes) -> bytes:
    """The 4-byte fingerprint that names ``key`` in ciphertexts and blind indexes."""
    return hashlib.sha256(b"credit-platform key id:" + key).digest()[:KEY_ID_BYTES]


def _keyring(current_setting: str, old_setting: str) -> tuple[bytes, dict[bytes, bytes]]:
    """(current key, {key id: key} of every key still read)."""
    current = _decode_key(current_setting, getattr(settings, current_setting))
    ring = {key_id(current): current}
    for raw in getattr(settings, old_setting, []) or []:
        if raw.strip():
            old = _decode_key(old_setting, raw)
            ring.setdefault(key_id(old), old)
    return current, ring


def encryption_keys() -> tuple[bytes, dict[bytes, bytes]]:
    return _keyring("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_OLD_KEYS")


def index_keys() -> tuple[bytes, dict[bytes, bytes]]:
    return _keyring("BLIND_INDEX_KEY", "BLIND_INDEX_OLD_KEYS")


def current_key_id() -> str:
    return key_id(encryption_keys()[0]).hex()


def current_index_key_id() -> str:
    return key_id(index_keys()[0]).hex()


def binding(table: str, column: str, row_id: int | str) -> str:
    """The associated data of a value: where it lives. A value moved elsewhere fails to decrypt."""
    if row_id in (None, ""):
        raise ValueError("a value is bound to its row: save the row (or reserve its id) first")
    return f"{table}.{column}#{row_id}"


def encrypt(plaintext: str, bound_to: str) -> bytes:
    """Seal ``plaintext`` with the current key, bound to ``bound_to`` (see ``binding``)."""
    current, _ring = encryption_keys()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(current).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return _VERSION + key_id(current) + nonce + sealed


def key_id_of(blob: bytes | memoryview) -> str:
    """The hex id of the key that sealed ``blob`` ('' for a version-1 ciphertext)."""
    data = bytes(blob)
    return data[1 : 1 + KEY_ID_BYTES].hex() if data[:1] == _VERSION else ""


def decrypt(blob: bytes | memoryview, bound_to: str, legacy_purpose: str = "") -> str:
    """Open ``blob``; raises ``InvalidTag`` when it was altered or moved, ``UnknownKey`` when its
    key is no longer configured. ``legacy_purpose`` opens a version-1 ciphertext."""
    data = bytes(blob)
    _current, ring = encryption_keys()
    if data[:1] == _VERSION:
        kid = data[1 : 1 + KEY_ID_BYTES]
        key = ring.get(kid)
        if key is None:
            raise UnknownKey(f"the key {kid.hex()} is not configured (FIELD_ENCRYPTION_OLD_KEYS)")
        start = 1 + KEY_ID_BYTES
        nonce, sealed = data[start : start + NONCE_BYTES], data[start + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, sealed, bound_to.encode()).decode()
        except InvalidTag:
            # Values written by the importer and the demo loader before they sealed to the row
            # are bound to their purpose: they open so until a key rotation re-seals them.
            if not legacy_purpose:
                raise
            return AESGCM(key).decrypt(nonce, sealed, legacy_purpose.encode()).decode()
    if data[:1] == _LEGACY and legacy_purpose:
        nonce, sealed = data[1:13], data[13:]
        for key in ring.values():
            try:
                return AESGCM(key).decrypt(nonce, sealed, legacy_purpose.encode()).decode()
            except InvalidTag:
                continue
        raise InvalidTag()
    raise ValueError("unknown ciphertext version")


def needs_rotation(blob: bytes | memoryview | None) -> bool:
    return blob is not None and bytes(blob)[: 1 + KEY_ID_BYTES] != _VERSION + key_id(encryption_keys()[0])


def _index(key: bytes, value: str, purpose: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def blind_index(value: str, purpose: str) -> str:
    """Keyed hash for exact lookup under the current key: ``<key id>$<hex>``."""
    current, _ring = index_keys()
    return f"{key_id(current).hex()}{INDEX_SEPARATOR}{_index(current, value, purpose)}"


def blind_indexes(value: str, purpose: str) -> list[str]:
    """The index of ``value`` under every key still read (and in the unprefixed form of before
    key ids): what a lookup compares with while a rotation is under way."""
    _current, ring = index_keys()
    found = []
    for kid, key in ring.items():
        digest = _index(key, value, purpose)
        found += [f"{kid.hex()}{INDEX_SEPARATOR}{digest}", digest]
    return found


def index_needs_rotation(index: str) -> bool:
    return bool(index) and not index.startswith(current_index_key_id() + INDEX_SEPARATOR)


def generate_key() -> str:
    """A new key in the form the settings take."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def known_key_ids(blobs: Iterable[bytes]) -> set[str]:
    return {key_id_of(blob) for blob in blobs}
