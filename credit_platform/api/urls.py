"""``/api/v1/``: every app's ``api/urls.py`` in one namespace (``api:<name>``), then a JSON 404
for any other path. A new app's API is one line here."""

from django.urls import re_path

from accounts.api import urls as accounts_urls
from core.api import urls as core_urls
from credit_platform.api.errors import not_found
from disclosure.api import urls as disclosure_urls
from enterprises.api import urls as enterprises_urls
from objections.api import urls as objections_urls
from registry.api import urls as registry_urls
from sanctions.api import urls as sanctions_urls

app_name = "api"
urlpatterns = [
    *registry_urls.urlpatterns,
    *disclosure_urls.urlpatterns,
    *accounts_urls.urlpatterns,
    *enterprises_urls.urlpatterns,
    *core_urls.urlpatterns,
    *sanctions_urls.urlpatterns,
    *objections_urls.urlpatterns,
    re_path(r"^[\s\S]*$", not_found),  # any path, newlines included
]
