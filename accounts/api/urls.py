"""``/api/v1/`` routes of the agency's own account."""

from rest_framework.routers import SimpleRouter

from accounts.api import views

router = SimpleRouter()
router.trailing_slash = "/?"  # with or without a trailing slash (DRF takes only a bool here)
router.register("usage", views.UsageViewSet, basename="usage")

urlpatterns = [*router.urls]
