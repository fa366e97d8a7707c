"""``/api/v1/`` routes of consented access (a trailing slash is accepted and means the same)."""

from django.urls import re_path

from enterprises.api import views

urlpatterns = [
    re_path(
        r"^subjects/(?P<code>[^/]+)/private/?$",
        views.PrivateInformationView.as_view(),
        name="subject-private",
    ),
    re_path(
        r"^subjects/(?P<code>[^/]+)/legal-representative/verify/?$",
        views.IdentityCheckView.as_view(),
        name="subject-identity-check",
    ),
]
