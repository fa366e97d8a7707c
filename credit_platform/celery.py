"""Celery app: reads the ``CELERY_`` settings namespace and finds each app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")

app = Celery("credit_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
