"""``/api/v1/`` routes of joint reward and punishment (a trailing slash is accepted and means the same)."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from sanctions.api import views

router = SimpleRouter()
router.trailing_slash = "/?"  # with or without a trailing slash (DRF takes only a bool here)
router.register("measures", views.MeasureViewSet, basename="measure")

urlpatterns = [
    re_path(
        r"^subjects/(?P<code>[^/]+)/measures/?$", views.SubjectMeasuresView.as_view(), name="subject-measures"
    ),
    re_path(r"^measure-feedback/?$", views.MeasureFeedbackView.as_view(), name="measure-feedback"),
    *router.urls,
]
