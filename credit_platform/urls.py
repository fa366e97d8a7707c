"""Root URLs: admin, health probes, the public site, the ledger's checkpoints and proofs, the API,
enterprise accounts and the portal, objections and credit repair."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts import two_factor
from credit_platform import errors, health
from credit_platform.favicon import favicon

admin.site.site_header = _("Credit Beijing: regulators' console")
admin.site.site_title = _("Credit Beijing regulators' console")
admin.site.index_title = _("Credit information management")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    # Django's language switch without its CSRF check: choosing a language is all a forged post
    # could do, and with no token on every page an anonymous visitor gets no cookie at all (no
    # csrftoken, no "Vary: Cookie"), so the public pages are the same bytes for everyone.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # Staff's second factor (accounts/two_factor.py), before the admin's own catch-all patterns.
    path("admin/two-factor/", two_factor.verify, name="two_factor_verify"),
    path("admin/two-factor/setup/", two_factor.enrol, name="two_factor_enrol"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/v1/", include("credit_platform.api.urls")),
    path("accounts/", include("allauth.urls")),
    path("enterprise/", include("enterprises.urls")),
    path("objections/", include("objections.urls")),
    path("ledger/", include("core.urls")),
    path("", include("disclosure.urls")),
]

# Errors the URL resolver and middleware raise: JSON under /api/, the site's pages elsewhere.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
