"""Shared fixtures live in tests/base.py (personas and factories) and tests/browser.py (Chromium)."""

pytest_plugins = ["tests.base", "tests.browser"]
