"""The house style is enforced, not hoped for: ruff lint and format (config in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_the_code_passes_ruff_lint():
    result = _ruff("check", "--no-cache", ".")
    assert result.returncode == 0, f"run `make format`:\n{result.stdout[-3000:]}"


def test_the_code_is_ruff_formatted():
    result = _ruff("format", "--check", "--no-cache", ".")
    assert result.returncode == 0, f"run `make format`:\n{result.stdout[-3000:]}"
