"""The offline verifier of docs/ (a standalone script, not a package module), loaded for tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PATH = Path(__file__).resolve().parents[2] / "docs" / "verify_ledger_proof.py"
_spec = importlib.util.spec_from_file_location("verify_ledger_proof", PATH)
assert _spec is not None and _spec.loader is not None
verifier = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verifier)
