"""Encryption at rest for natural persons' data (DOMAIN.md section 6).

AES-256-GCM (authenticated: a flipped byte fails to decrypt) with a random 96-bit nonce, and a
keyed HMAC-SHA256 blind index so an exact lookup works without decrypting every row.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_VERSION = b"\x01"


def _key(setting: str, raw: str | None = None) -> bytes:
    raw = getattr(settings, setting) if raw is None else raw
    try:
        key = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4))
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{setting} is not valid base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{setting} must decode to 32 bytes, got {len(key)}")
    return key


@functools.lru_cache(maxsize=4)
def _cipher(raw: str) -> AESGCM:
    # Keyed by the setting's text, so a changed key (tests override it) gets its own cipher.
    return AESGCM(_key("FIELD_ENCRYPTION_KEY", raw))


def encrypt(plaintext: str, purpose: str) -> bytes:
    """Encrypt ``plaintext``; ``purpose`` is bound as associated data so values can't be swapped."""
    nonce = os.urandom(12)
    sealed = _cipher(settings.FIELD_ENCRYPTION_KEY).encrypt(nonce, plaintext.encode(), purpose.encode())
    return _VERSION + nonce + sealed


def decrypt(blob: bytes, purpose: str) -> str:
    blob = bytes(blob)
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, sealed = blob[1:13], blob[13:]
    return _cipher(settings.FIELD_ENCRYPTION_KEY).decrypt(nonce, sealed, purpose.encode()).decode()


def blind_index(value: str, purpose: str) -> str:
    """Keyed hash for exact lookup; without the key it cannot be brute-forced over ID numbers."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(_key("BLIND_INDEX_KEY"), message, hashlib.sha256).hexdigest()
