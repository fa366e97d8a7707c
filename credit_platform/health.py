"""Liveness and readiness probes for load balancers and docker-compose health checks."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)


# Probes answer GET and HEAD (what load balancers send); any other method is a 405.
@require_safe
def healthz(request):
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def _failure(part: str, exc: Exception) -> str:
    """The probe is public: it names the kind of failure, never the message (which may carry a
    socket path, a host name or a user); the full message goes to the log."""
    logger.warning("readiness: %s unavailable: %s", part, exc)
    return f"unavailable ({type(exc).__name__})"


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return _failure("database", exc)
    return None


def _check_redis() -> str | None:
    try:
        get_redis_connection("default").ping()
    except Exception as exc:  # noqa: BLE001
        return _failure("redis", exc)
    return None


@require_safe
def readyz(request):
    """Readiness: the database and Redis both answer; 503 with the failing part otherwise."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    ready = all(error is None for error in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: ("ok" if error is None else error) for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
