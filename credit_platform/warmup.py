"""What a web worker does once before its first request, so that no visitor waits for it.

A fresh worker's first answers were slow: the first API lookup 0.6 s and the first home page
2.3 s in-process (URL patterns resolved, every view module imported, the translation catalogues of
both languages read, the public templates compiled), measured as the p99 of every load run that
started on fresh workers (bench/README.md). ``warm`` does that work at start-up, in each worker
(``credit_platform/wsgi.py``). It opens no database or Redis connection: with gunicorn's
``--preload`` it runs in the master before the fork, and a connection shared by forked workers
would mix their traffic.
"""

from __future__ import annotations

import gc
import logging

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

# The public site's pages and their parts: compiled once here, then held by the cached loader.
TEMPLATES = (
    "disclosure/home.html",
    "disclosure/search.html",
    "disclosure/subject.html",
    "disclosure/list.html",
    "disclosure/feed.html",
    "disclosure/includes/list_body.html",
    "disclosure/includes/feed_body.html",
    "disclosure/includes/search_body.html",
    "disclosure/includes/subject_body.html",
)


def warm() -> None:
    """Import the views, read both languages' catalogues and compile the public templates."""
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018  (imports every view module)
    resolver._populate()  # the reverse() tables, built on the first reverse() otherwise
    from registry.api import serializers, views  # noqa: F401  (imported lazily by the lookup)

    current = translation.get_language()
    try:
        for code, _name in settings.LANGUAGES:
            translation.activate(code)
            translation.gettext("Search")  # reads the language's catalogues
            for name in TEMPLATES:
                try:
                    get_template(name)
                except TemplateDoesNotExist:  # a renamed page must not stop a worker from starting
                    logger.warning("warm-up: template %s not found", name)
    finally:
        translation.activate(current) if current else translation.deactivate()


def freeze() -> None:
    """Take what start-up made (modules, URL tables, catalogues, compiled templates: about 170,000
    objects) out of the garbage collector's reach (``gc.freeze``), once it is all made.

    Why: a full collection walked all of it, 190-230 ms on the bench machine, and landed inside
    some request every few seconds: the 200-260 ms p99 of API list rows that moved from run to run
    (bench/README.md; found by timing the collector's passes in a worker). Those objects live as
    long as the worker; with ``--preload`` freezing also keeps the forked workers' copies shared."""
    gc.collect()
    gc.freeze()
