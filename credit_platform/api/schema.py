"""drf-spectacular hooks: the schema names each endpoint by its canonical path."""

from __future__ import annotations

from typing import Any


def canonical_paths(
    endpoints: list[tuple[str, str, str, Any]], **kwargs: Any
) -> list[tuple[str, str, str, Any]]:
    """Every ``/api/v1/`` route accepts an optional trailing slash (``^subjects/?$``); the schema
    shows the path without it, the one clients are told to use."""
    return [
        (path[:-1] if path.endswith("/") and len(path) > 1 else path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
    ]
