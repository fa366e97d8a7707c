"""API of the agency's own account: its access log."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from accounts import requestlog
from accounts.api.serializers import UsageSerializer
from accounts.models import ApiRequestLog
from credit_platform.api.base import ApiMixin, errors


@extend_schema_view(
    list=extend_schema(
        summary="This agency's recent API requests",
        responses={200: UsageSerializer(many=True), **errors(400)},
    )
)
class UsageViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The agency's own access log (any scope): what it asked, when, with what answer."""

    serializer_class = UsageSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiRequestLog.objects.none()
        requestlog.drain()  # the agency's requests answered so far (accounts/requestlog.py)
        return ApiRequestLog.objects.filter(agency_id=self.request.auth.agency_id).order_by("-at", "-id")
