"""The signature trailer of a credit report PDF, signed with the platform's Ed25519 key (core/signing.py).

A report PDF is the document WeasyPrint produced (the *body*) followed by one PDF comment line,
the *trailer*::

    %BJCR-SIGNATURE v1 <report-number> <key-id> <base64 Ed25519 signature>

The signature is over the 32-byte SHA-256 digest of the body. PDF readers ignore the comment;
``disclosure/verify_report.py`` splits it off again and checks it with the public key alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# The key itself is the platform's, shared with the ledger's checkpoints (core/signing.py).
from core.signing import (  # noqa: F401 (re-exported: reports and views use signing.<name>)
    key_id,
    key_id_of,
    private_key,
    public_key,
    public_key_pem,
    sign_digest,
    verify_digest,
)

TRAILER_PREFIX = b"\n%BJCR-SIGNATURE v1 "


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
