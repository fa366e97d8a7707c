"""Who looked me up: the agencies that pulled the subject's data through the API (from the access
log, ``ApiRequestLog.subject_codes`` with its GIN index): agency, endpoint, how often, when.
Never the key, its prefix or the request's parameters (a grant id is the enterprise's own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import requestlog
from accounts.models import ApiRequestLog
from registry.models import Subject

LOOKBACK_DAYS = 365
ENDPOINT_LABELS = {
    "api:subject-detail": _("Registration data"),
    "api:subject-list": _("Subject search"),
    "api:subject-records-list": _("Public records"),
    "api:record-detail": _("A public record"),
    "api:record-list": _("Record search"),
    "api:match": _("Name matching"),
    "api:subject-private": _("Non-public information (with your consent)"),
    "api:subject-identity-check": _("Identity check of your legal representative (yes or no)"),
}


def endpoint_label(endpoint: str) -> str:
    return str(ENDPOINT_LABELS.get(endpoint, endpoint))


@dataclass(frozen=True)
class AgencyLookups:
    agency: str
    endpoint: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime

    @property
    def endpoint_label(self) -> str:
        return endpoint_label(self.endpoint)


@dataclass(frozen=True)
class Lookup:
    at: dt.datetime
    agency: str
    endpoint: str
    status_code: int

    @property
    def endpoint_label(self) -> str:
        return endpoint_label(self.endpoint)


def _log_of(subject: Subject):
    requestlog.drain()  # the requests answered so far, whether or not the beat has moved them yet
    since = timezone.now() - dt.timedelta(days=LOOKBACK_DAYS)
    return ApiRequestLog.objects.filter(
        subject_codes__contains=[subject.code], agency__isnull=False, at__gte=since
    )


def agency_lookups(subject: Subject, limit: int = 200) -> list[AgencyLookups]:
    """Per agency and endpoint over the last year: how often, first and last time."""
    rows = (
        _log_of(subject)
        .values("agency__name", "endpoint")
        .annotate(n=Count("id"), first_at=Min("at"), last_at=Max("at"))
        .order_by("-last_at")[:limit]
    )
    return [
        AgencyLookups(row["agency__name"], row["endpoint"], row["n"], row["first_at"], row["last_at"])
        for row in rows
    ]


def recent_lookups(subject: Subject, limit: int = 50) -> list[Lookup]:
    rows = _log_of(subject).select_related("agency").order_by("-at", "-id")[:limit]
    return [Lookup(row.at, row.agency.name, row.endpoint, row.status_code) for row in rows]
