"""``/api/v1/`` routes of data distribution (a trailing slash is accepted and means the same)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from disclosure.api import views

router = SimpleRouter()
router.trailing_slash = "/?"  # with or without a trailing slash (DRF takes only a bool here)
router.register("exports", views.ExportViewSet, basename="export")
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = [
    re_path(r"^changes/?$", views.ChangesView.as_view(), name="changes"),
    *router.urls,
]
