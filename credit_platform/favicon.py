"""``/favicon.ico``: browsers ask for it at the site root on every first visit, the admin's pages
included, whatever the pages link; answering 404 fills the logs and leaves a blank tab icon."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = Path(settings.BASE_DIR) / "static" / "favicon.ico"
MAX_AGE = 30 * 24 * 3600  # the icon rarely changes; browsers need not ask again for a month


@cache
def _icon() -> bytes:
    return ICON.read_bytes()


@require_safe
@cache_control(public=True, max_age=MAX_AGE)
def favicon(request) -> HttpResponse:
    return HttpResponse(_icon(), content_type="image/x-icon")
