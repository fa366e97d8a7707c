"""A page of a real headless Chromium for browser tests (Debian's, at /usr/bin/chromium: Playwright's
own browser download does not work here). Without it a browser test FAILS with what to install, it
never skips. Use with ``live_server`` and ``@pytest.mark.django_db(transaction=True)``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def short_lived_connections():
    """The live server's request threads must not keep connections open past the test (they
    would block dropping the test database)."""
    from django.db import connections

    saved = connections.settings["default"]["CONN_MAX_AGE"]
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = saved
    # A request thread still finishing when the browser closed may hold one: end it.
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def browser_page(short_lived_connections):
    from django.db import connections

    # Playwright's sync API runs an event loop; Django refuses ORM calls from a thread with one.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install it (Debian: apt-get install chromium) "
            "or run `make system-deps`"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN"
        )
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # While Playwright's loop runs, Django keeps the test's connections apart from the
            # thread's (asgiref's Local): close them here, or the next browser test reuses them
            # after short_lived_connections has ended their sessions.
            connections.close_all()


def start_worker(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, Path]:
    """A real Celery worker (solo pool) on the test database and Redis, its output in a log file;
    ``env`` adds settings. Stop it with tests.registry.test_scheduling_worker._stop."""
    from django.conf import settings

    from credit_platform.celery import app
    from tests.registry.test_scheduling_worker import _test_database_url

    app.control.purge()  # messages left in the test Redis by earlier tests
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "credit_platform", "worker", "--pool", "solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": _test_database_url(), "CONN_MAX_AGE": "0", **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process, log
