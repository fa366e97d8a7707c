"""``/api/v1/`` routes of objections (a trailing slash is accepted and means the same)."""

from rest_framework.routers import SimpleRouter

from objections.api import views

router = SimpleRouter()
router.trailing_slash = "/?"  # with or without a trailing slash (DRF takes only a bool here)
router.register("objections", views.ObjectionViewSet, basename="objection")

urlpatterns = [*router.urls]
