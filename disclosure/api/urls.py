"""``/api/v1/`` routes (no trailing slashes). ``subjects/<code>/measures`` is reserved for the
joint reward and punishment measures (a later issue, scope ``sanctions:check``)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from disclosure.api import views
from disclosure.api.errors import not_found

router = SimpleRouter(trailing_slash=False)
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register(r"subjects/(?P<code>[^/]+)/records", views.SubjectRecordViewSet, basename="subject-records")
router.register("records", views.RecordViewSet, basename="record")
router.register("exports", views.ExportViewSet, basename="export")
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("usage", views.UsageViewSet, basename="usage")

app_name = "api"
urlpatterns = [
    path("changes", views.ChangesView.as_view(), name="changes"),
    path("match", views.MatchView.as_view(), name="match"),
    path("overdue-publications", views.OverduePublicationsView.as_view(), name="overdue-publications"),
    *router.urls,
    re_path(r"^[\s\S]*$", not_found),  # any path, newlines included
]
