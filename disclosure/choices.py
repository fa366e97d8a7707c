"""Choices of data distribution (webhooks, exports, federation), with readable stored values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed, given up")


class ExportStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ForeignObjectType(models.TextChoices):
    SUBJECT = "subject", _("Subject")
    RECORD = "record", _("Credit record")
