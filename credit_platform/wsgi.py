"""WSGI entry point (gunicorn credit_platform.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
application = get_wsgi_application()
