"""What can be checked of the deployment files and settings without Docker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_the_production_stack_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name, service in services.items():
        if name != "migrate":  # a one-shot job: "completed successfully" is its health
            assert "healthcheck" in service, f"{name} has no health check"
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "credit_platform", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "credit_platform", "beat"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_runs_the_app_as_a_least_privileged_role_and_only_migrate_as_the_owner():
    services = _compose()["services"]
    owner = services["postgres"]["environment"]["POSTGRES_USER"]
    assert services["migrate"]["command"] == ["python", "manage.py", "setup_database"]
    assert f"postgresql://{owner}:" in services["migrate"]["environment"]["DATABASE_OWNER_URL"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        app_url = "postgresql://credit_app:${APP_DB_PASSWORD:?set APP_DB_PASSWORD}@"
        assert env["DATABASE_URL"].startswith(app_url)
        assert "DATABASE_OWNER_URL" not in env, f"{name} must not hold the owner's credentials"
        assert "migrate" not in str(services[name]["command"])


def test_compose_keeps_data_in_volumes_and_requires_every_secret():
    compose = _compose()
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])
    env = compose["services"]["web"]["environment"]
    assert env["DEBUG"] == "false"
    for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY"):
        assert env[secret] == f"${{{secret}:?set {secret}}}"
    assert "--locale=C.UTF-8" in compose["services"]["postgres"]["environment"]["POSTGRES_INITDB_ARGS"]


def test_production_refuses_to_start_with_the_default_secret():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY"}}
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "credit_platform.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_bad_boolean_setting_is_refused_by_name():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "maybe", "DJANGO_SETTINGS_MODULE": "credit_platform.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_migrations_are_committed_and_the_project_checks_clean(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    call_command("check", fail_level="WARNING")


def test_the_database_holds_chinese_text_with_a_utf8_ctype(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database "
            "WHERE datname = current_database()"
        )
        encoding, ctype = cursor.fetchone()
        cursor.execute("SELECT upper('ä'), '北京' LIKE '%京'")
        upper, like = cursor.fetchone()
    assert encoding == "UTF8"
    assert ctype.upper().replace("-", "") in {"C.UTF8", "EN_US.UTF8"}
    assert like is True
    assert upper == "Ä"


@pytest.mark.parametrize(
    ("broker", "cache"),
    [
        ("redis://cache.example:6379/0", "redis://cache.example:6379/1"),
        ("redis://:secret@cache.example:6379/4", "redis://:secret@cache.example:6379/5"),
        ("redis://cache.example:6379", "redis://cache.example:6379/1"),
        ("unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock?db=1"),
        ("unix:///run/redis/redis.sock?db=15", "unix:///run/redis/redis.sock?db=0"),
    ],
)
def test_the_cache_lives_in_another_redis_database_than_the_job_queues(broker, cache):
    """Clearing the cache is FLUSHDB: in the queues' database it would drop every queued job."""
    code = "from django.conf import settings; print(settings.CACHES['default']['LOCATION'])"
    env = {k: v for k, v in os.environ.items() if k != "CACHE_REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**env, "REDIS_URL": broker, "DJANGO_SETTINGS_MODULE": "credit_platform.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == cache
