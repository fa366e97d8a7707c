"""PgBouncer in transaction mode (docker-compose.pgbouncer.yml, docs/scaling.md): what can be
checked without Docker. The web processes go through it with the settings Django needs there;
the worker and beat, whose jobs hold session advisory locks, keep their direct connection."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _override() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.pgbouncer.yml").read_text(encoding="utf-8"))


def test_the_web_goes_through_pgbouncer_in_transaction_mode_and_jobs_do_not():
    services = _override()["services"]
    pooler = services["pgbouncer"]["environment"]
    assert pooler["POOL_MODE"] == "transaction"
    assert pooler["DB_HOST"] == "postgres" and pooler["DB_USER"] == "credit_app"
    assert "healthcheck" in services["pgbouncer"]
    web = services["web"]["environment"]
    assert "@pgbouncer:" in web["DATABASE_URL"] and web["DATABASE_URL"].startswith("postgresql://credit_app:")
    assert web["DATABASE_POOLED"] == "true"
    assert services["web"]["depends_on"]["pgbouncer"]["condition"] == "service_healthy"
    assert {"worker", "beat", "migrate"}.isdisjoint(services)  # direct connections, unchanged


def _setting(expression: str, **env: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "credit_platform.settings", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_pooled_database_disables_server_side_cursors():
    expression = "settings.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']"
    assert _setting(expression, DATABASE_POOLED="true") == "True"
    assert _setting(expression, DATABASE_POOLED="false") == "False"
