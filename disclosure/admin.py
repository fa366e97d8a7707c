"""Admin of the disclosure app. The API's admin classes live in disclosure/api/admin.py."""

from disclosure.api import admin as api_admin  # noqa: F401  (registers the API models)
