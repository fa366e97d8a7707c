"""The platform's Ed25519 signing key, shared by every app that signs what it publishes.

Credit reports (disclosure/signing.py adds the PDF trailer) and the ledger's checkpoints
(core/transparency.py) are signed with the same key, so one public key, published at
``/verify/public-key.pem``, checks both. The key comes from the ``REPORT_SIGNING_KEY`` setting: PEM
(PKCS#8) or base64 of the 32 raw private bytes; development derives one from ``SECRET_KEY``
(settings refuse an empty key with ``DEBUG`` off).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _load_private_key(value: str) -> Ed25519PrivateKey:
    value = value.strip()
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("REPORT_SIGNING_KEY is a PEM key but not an Ed25519 one")
        return key
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured("REPORT_SIGNING_KEY is neither PEM nor base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"REPORT_SIGNING_KEY must hold 32 raw bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


@lru_cache(maxsize=4)
def _key_for(configured: str, secret_key: str) -> Ed25519PrivateKey:
    if configured:
        return _load_private_key(configured)
    # Development only: derived from SECRET_KEY, so it is stable across restarts without a file to
    # manage. The label is the one reports were first signed under; changing it would void them.
    seed = hashlib.sha256(f"report-signing:{secret_key}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    return _key_for(settings.REPORT_SIGNING_KEY, settings.SECRET_KEY)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem() -> bytes:
    return public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id_of(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 over the raw public key: names the key in signatures."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_id() -> str:
    return key_id_of(public_key())


def sign(message: bytes) -> str:
    """The base64 Ed25519 signature of ``message``."""
    return base64.b64encode(private_key().sign(message)).decode()


def verify(message: bytes, signature_b64: str, key: Ed25519PublicKey | None = None) -> bool:
    """Whether ``signature_b64`` is a valid signature of ``message`` (by ``key``, default ours)."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        (key or public_key()).verify(signature, message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ``ValueError`` naming the problem otherwise."""
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


# A credit report signs the 32-byte SHA-256 digest of its PDF body (disclosure/signing.py).
sign_digest = sign
verify_digest = verify
