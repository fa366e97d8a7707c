"""The platform's Ed25519 key for credit reports, and the signature trailer of a report PDF.

A report PDF is the document WeasyPrint produced (the *body*) followed by one PDF comment line,
the *trailer*::

    %BJCR-SIGNATURE v1 <report-number> <key-id> <base64 Ed25519 signature>

The signature is over the 32-byte SHA-256 digest of the body. PDF readers ignore the comment;
``disclosure/verify_report.py`` splits it off again and checks it with the public key alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TRAILER_PREFIX = b"\n%BJCR-SIGNATURE v1 "


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
    # Development only (settings refuse an empty key with DEBUG off): derived from SECRET_KEY, so
    # it is stable across restarts without a file to manage.
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
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def key_id() -> str:
    return key_id_of(public_key())


def sign_digest(digest: bytes) -> str:
    return base64.b64encode(private_key().sign(digest)).decode()


def verify_digest(digest: bytes, signature_b64: str, key: Ed25519PublicKey | None = None) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        (key or public_key()).verify(signature, digest)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SignedPdf:
    body: bytes
    number: str
    key_id: str
    signature: str

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.body).digest()


def append_trailer(body: bytes, number: str, signature: str, signer_key_id: str) -> bytes:
    line = f"{number} {signer_key_id} {signature}\n".encode("ascii")
    return body + TRAILER_PREFIX + line


def split_trailer(data: bytes) -> SignedPdf | None:
    """The body and the signature fields of a signed report, or None if it carries no trailer."""
    index = data.rfind(TRAILER_PREFIX)
    if index < 0:
        return None
    fields = data[index + len(TRAILER_PREFIX) :].decode("ascii", "replace").split()
    if len(fields) != 3:
        return None
    number, signer_key_id, signature = fields
    return SignedPdf(body=data[:index], number=number, key_id=signer_key_id, signature=signature)
