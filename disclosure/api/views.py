"""API of data distribution: the change feed, bulk exports and webhooks."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Scope
from credit_platform.api.base import ApiMixin, errors
from credit_platform.api.errors import InvalidCursor
from disclosure import exports, feed, webhooks
from disclosure.api.serializers import (
    ChangePageSerializer,
    ExportSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from disclosure.choices import ExportStatus
from disclosure.models import Export, Webhook


class ChangesView(ApiMixin, APIView):
    """The change feed: every public change in commit order, resumable with a stable cursor."""

    required_scope = Scope.CHANGES_READ
    query_parameters = ("after", "limit")

    def request_cost(self, request) -> int:
        """One quota unit per 100 changes asked for (a bad limit costs 1 and is refused below)."""
        raw = request.query_params.get("limit", "100")
        return -(-int(raw) // 100) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1

    @extend_schema(
        summary="Changes after a cursor",
        description=feed.__doc__,
        parameters=[
            OpenApiParameter(
                "after",
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": feed.MAX_CURSOR_LENGTH,
                    "pattern": "^[A-Za-z0-9_-]+$",
                },
                description="A next_cursor from an earlier answer; omit to start at the beginning.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": feed.MAX_LIMIT, "default": 100},
                description="1-500 changes (default 100).",
            ),
        ],
        responses={200: ChangePageSerializer, **errors(400)},
    )
    def get(self, request):
        params = request.query_params
        try:
            after_seq = feed.decode_cursor(params["after"]) if "after" in params else 0
        except feed.CursorError as exc:
            raise InvalidCursor() from exc
        raw_limit = params.get("limit", "100")
        if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= feed.MAX_LIMIT:
            raise exceptions.ValidationError({"limit": [_("Give a whole number from 1 to 500.")]})
        limit = int(raw_limit)
        page = feed.read_changes(after_seq, limit)
        return Response({"changes": page.changes, "next_cursor": page.next_cursor, "has_more": page.has_more})


@extend_schema_view(
    list=extend_schema(
        summary="Bulk exports ready for download", responses={200: ExportSerializer(many=True), **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One bulk export and its manifest",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ExportSerializer, **errors(404)},
    ),
)
class ExportViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Full snapshots (gzipped JSON Lines and CSV) with a manifest: counts, SHA-256 of each file and
    the feed cursor at snapshot time (load the snapshot, then follow the feed from that cursor)."""

    required_scope = Scope.EXPORT
    serializer_class = ExportSerializer
    queryset = Export.objects.filter(status=ExportStatus.READY).order_by("-started_at", "-id")
    lookup_value_regex = "[0-9]{1,18}"

    @extend_schema(summary="The newest bulk export", responses={200: ExportSerializer, **errors(404)})
    @action(detail=False, methods=["get"])
    def latest(self, request):
        export = self.get_queryset().first()
        if export is None:
            raise exceptions.NotFound(_("No bulk export is ready yet."))
        return Response(ExportSerializer(export).data)

    @extend_schema(
        summary="Download one file of a bulk export",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(exports.FILE_NAMES)),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            **{(code, "application/json"): response for code, response in errors(404).items()},
        },
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<name>[^/]+)")
    def files(self, request, pk=None, name=None):
        export = self.get_object()
        path = exports.file_path(export, name)
        if path is None:
            raise exceptions.NotFound(_("This export has no such file."))
        return FileResponse(Path(path).open("rb"), as_attachment=True, filename=name)


class DuplicateSubscription(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate_webhook"

    def __init__(self, existing: Webhook | None) -> None:
        message = _("This agency already has an active webhook with this URL and these subjects")
        if existing is not None:
            message = _("%(message)s (id %(id)d).") % {"message": message, "id": existing.pk}
        super().__init__(message)


@extend_schema_view(
    list=extend_schema(
        summary="The agency's webhooks", responses={200: WebhookSerializer(many=True), **errors(400)}
    ),
    retrieve=extend_schema(
        summary="One webhook",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: WebhookSerializer, **errors(404)},
    ),
    create=extend_schema(
        summary="Register a webhook (a URL and a watchlist of subject codes)",
        responses={201: WebhookCreatedSerializer, **errors(400, 409)},
    ),
    destroy=extend_schema(
        summary="Deactivate a webhook",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={204: None, **errors(404)},
    ),
)
class WebhookViewSet(
    ApiMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhooks: changes of watched subjects are POSTed to the agency, signed with HMAC-SHA256
    (see disclosure/webhooks.py for the signature); deliveries are listed per webhook."""

    required_scope = Scope.WEBHOOKS
    paginated_actions = ("deliveries",)
    serializer_class = WebhookSerializer
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Webhook.objects.none()
        return Webhook.objects.filter(agency_id=self.request.auth.agency_id, is_active=True).order_by("-id")

    def create(self, request, *args, **kwargs):
        form = WebhookSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            webhook, secret = webhooks.register_webhook(
                agency=request.auth.agency,
                url=form.validated_data["url"],
                subject_codes=form.validated_data["subject_codes"],
            )
        except webhooks.InvalidWebhook as exc:
            raise exceptions.ValidationError(exc.errors) from exc
        except webhooks.DuplicateWebhook as exc:
            raise DuplicateSubscription(exc.existing) from exc
        data = WebhookCreatedSerializer(webhook).data
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Webhook) -> None:
        webhooks.deactivate_webhook(instance)

    @extend_schema(
        summary="Deliveries of a webhook, newest first",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: WebhookDeliverySerializer(many=True), **errors(400, 404)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        webhook = self.get_object()
        page = self.paginate_queryset(webhook.deliveries.order_by("-created_at", "-id"))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
