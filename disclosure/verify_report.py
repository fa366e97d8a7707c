"""Check a credit report PDF offline: ``python -m disclosure.verify_report report.pdf --public-key key.pem``.

Needs only Python and the ``cryptography`` package (no database, no network): it splits the
signature trailer off the PDF, hashes the rest with SHA-256 and checks the Ed25519 signature
with the platform's public key, published at ``/verify/public-key.pem``. Exit status 0 means the
report is genuine and unaltered; 1 means it is not; 2 means the input could not be read.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# Kept in step with disclosure/signing.py (this file must run without Django).
TRAILER_PREFIX = b"\n%BJCR-SIGNATURE v1 "


def verify(data: bytes, key: Ed25519PublicKey) -> tuple[bool, str]:
    index = data.rfind(TRAILER_PREFIX)
    if index < 0:
        return False, "no platform signature found in this file (not a report, or the trailer was removed)"
    fields = data[index + len(TRAILER_PREFIX) :].decode("ascii", "replace").split()
    if len(fields) != 3:
        return False, "the signature line is malformed"
    number, _key_id, signature_b64 = fields
    digest = hashlib.sha256(data[:index]).digest()
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), digest)
    except (InvalidSignature, binascii.Error, ValueError):
        return (
            False,
            f"report {number}: the signature does NOT match; the file was altered or not issued by us",
        )
    return True, f"report {number}: genuine and unaltered (SHA-256 {digest.hex()})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the PDF credit report")
    parser.add_argument(
        "--public-key", type=Path, required=True, help="the platform's public key (/verify/public-key.pem)"
    )
    args = parser.parse_args(argv)
    try:
        data = args.report.read_bytes()
        key = serialization.load_pem_public_key(args.public_key.read_bytes())
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not isinstance(key, Ed25519PublicKey):
        print("error: the public key is not an Ed25519 key", file=sys.stderr)
        return 2
    ok, message = verify(data, key)
    print(message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
