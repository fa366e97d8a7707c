"""Shared fixtures live in tests/base.py (personas and factories)."""

pytest_plugins = ["tests.base"]
