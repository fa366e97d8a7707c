"""The shared core and the services are type-checked strictly (mypy with the Django plugin;
the files and rules are in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_and_the_services_pass_mypy_strict():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
