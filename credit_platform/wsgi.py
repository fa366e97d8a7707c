"""WSGI entry point (gunicorn credit_platform.wsgi): Django, with the API's lookup by code served
before its middleware chain when it can be (registry/api/fastpath.py says why and what stays equal)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
django_application = get_wsgi_application()

from credit_platform.warmup import freeze, warm  # noqa: E402  (needs the apps loaded)
from registry.api.fastpath import LookupFastPath, prepare  # noqa: E402

application = LookupFastPath(django_application)
warm()
prepare()
freeze()  # last: what start-up made is kept out of the collector's full passes
