"""``/api/v1/`` routes of the registry (a trailing slash is accepted and means the same)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from registry.api import views

router = SimpleRouter()
router.trailing_slash = "/?"  # with or without a trailing slash (DRF takes only a bool here)
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register(r"subjects/(?P<code>[^/]+)/records", views.SubjectRecordViewSet, basename="subject-records")
router.register("records", views.RecordViewSet, basename="record")

urlpatterns = [
    re_path(r"^match/?$", views.MatchView.as_view(), name="match"),
    re_path(
        r"^overdue-publications/?$", views.OverduePublicationsView.as_view(), name="overdue-publications"
    ),
    *router.urls,
]
