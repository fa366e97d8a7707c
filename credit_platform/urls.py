"""Root URLs: admin, health probes, the public site and the API."""

from django.contrib import admin
from django.urls import include, path

from credit_platform import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("disclosure.urls")),
]
