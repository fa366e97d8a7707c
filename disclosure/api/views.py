"""REST API v1 views. Every endpoint needs an API key and declares the scope it requires.

URL scheme (``/api/v1/``, no trailing slashes): a subject is addressed by its credit code (or legacy
registration number) and what belongs to it hangs below it, each with its own read scope:
``subjects/<code>`` (subjects:read), ``subjects/<code>/records`` (records:read) and, in a later
issue, ``subjects/<code>/measures`` (sanctions:check, already grantable).
"""

from __future__ import annotations

import time
from pathlib import Path

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from credit_platform.middleware import current_request_id
from disclosure import exports, feed, webhooks
from disclosure.api import matching
from disclosure.api.authentication import ApiKeyAuthentication
from disclosure.api.errors import ErrorSerializer, InvalidCode, InvalidCursor, exception_handler
from disclosure.api.pagination import CappedPagination
from disclosure.api.permissions import HasScope
from disclosure.api.serializers import (
    MAX_OVERDUE_RECORDS_PER_DEPARTMENT,
    RECORD_RELATED,
    ChangePageSerializer,
    ExportSerializer,
    MatchRequestSerializer,
    MatchResponseSerializer,
    OverdueQuerySerializer,
    OverdueReportSerializer,
    RecordSerializer,
    SubjectSerializer,
    UsageSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from disclosure.api_choices import ExportStatus, Scope
from disclosure.api_models import ApiKey, ApiRequestLog, Export, Webhook
from registry import publication, search
from registry.codes import classify_query, normalise_code
from registry.filtersets import CreditRecordFilterSet, SubjectFilterSet
from registry.models import CreditRecord, Subject
from registry.workdays import beijing_today

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid request (details say what)."),
    401: OpenApiResponse(ErrorSerializer, description="No API key, or a revoked, expired or unknown one."),
    403: OpenApiResponse(ErrorSerializer, description="The key lacks the scope this endpoint needs."),
    404: OpenApiResponse(ErrorSerializer, description="Not found."),
    429: OpenApiResponse(ErrorSerializer, description="Quota used up; see the Retry-After header."),
}


# A credit code (18 characters) or a legacy registration number (15 digits), any case. Its check
# characters (GB 32100, GS 15-2006) are beyond a pattern: a code failing them is a 400 naming the check.
CODE_PARAMETER = OpenApiParameter(
    "code",
    {"type": "string", "minLength": 15, "maxLength": 18, "pattern": "^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$"},
    OpenApiParameter.PATH,
    description="Unified social credit code, or legacy 15-digit registration number.",
)


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in (401, 403, 429, *codes)}


def resolve_subject(raw: str) -> Subject:
    """The subject with this credit code or registration number; 400 naming the failed check for
    a malformed key, 404 for a well-formed one that is not on file."""
    subject = Subject.objects.by_key(raw).prefetch_related("former_names").first()
    if subject is not None:
        return subject
    value = normalise_code(raw)
    kind = (
        search.Kind.REGISTRATION_NUMBER
        if classify_query(value) == "registration_number"
        else search.Kind.CODE
    )
    problem = search.code_problem(value, kind)
    if problem is not None:
        raise InvalidCode(problem.message, problem.check)
    raise exceptions.NotFound(_("No subject has this credit code."))


class ApiMixin:
    """Authentication, scope, quota, errors, paging and the access log of every endpoint."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes: list = []
    parser_classes = [JSONParser]  # request bodies are JSON only (anything else: 415)
    pagination_class = CappedPagination
    # The version is the fixed /api/v1/ prefix (a v2 would be a new URL module), not a URL kwarg.
    versioning_class = None
    required_scope = ""

    def initialize_request(self, request, *args, **kwargs):
        self.started = time.monotonic()
        self.logged_subject_codes: list[str] = []
        return super().initialize_request(request, *args, **kwargs)

    def get_throttles(self):
        from disclosure.api.throttling import KeyQuotaThrottle

        return [KeyQuotaThrottle()]

    def get_exception_handler(self):
        return exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        log_request(request, response, self)
        return response


def log_request(request, response, view) -> None:
    """One row per request (STYLE: state changes are data; here, who looked at what)."""
    key = getattr(request, "_auth", None)
    key = key if isinstance(key, ApiKey) else None
    match = getattr(request, "resolver_match", None)
    ApiRequestLog.objects.create(
        api_key=key,
        agency_id=key.agency_id if key else None,
        method=request.method[:10],
        endpoint=(match.view_name if match else "")[:100],
        path=request.path[:500],
        status_code=response.status_code,
        subject_codes=sorted(set(getattr(view, "logged_subject_codes", [])))[:1000],
        duration_ms=int((time.monotonic() - getattr(view, "started", time.monotonic())) * 1000),
        request_id=current_request_id()[:64],
    )


@extend_schema_view(
    list=extend_schema(
        summary="List and search subjects", responses={200: SubjectSerializer(many=True), **errors(400)}
    ),
    retrieve=extend_schema(
        summary="A subject by credit code or legacy registration number",
        parameters=[CODE_PARAMETER],
        responses={200: SubjectSerializer, **errors(400, 404)},
    ),
)
class SubjectViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Market subjects (registration information)."""

    required_scope = Scope.SUBJECTS_READ
    queryset = Subject.objects.prefetch_related("former_names").order_by("code")
    serializer_class = SubjectSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = SubjectFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_object(self) -> Subject:
        subject = resolve_subject(self.kwargs["code"])
        self.logged_subject_codes.append(subject.code)
        return subject

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        query = request.query_params.get("q", "")
        if response.status_code == 200 and query and classify_query(query) != "name":
            self.logged_subject_codes.extend(item["code"] for item in response.data["results"])
        return response


@extend_schema_view(
    list=extend_schema(
        summary="Public records of a subject",
        parameters=[CODE_PARAMETER],
        responses={200: RecordSerializer(many=True), **errors(400, 404)},
    )
)
class SubjectRecordViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The published records of one subject that are inside their publicity period."""

    required_scope = Scope.RECORDS_READ
    serializer_class = RecordSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CreditRecordFilterSet
    queryset = CreditRecord.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CreditRecord.objects.none()
        subject = resolve_subject(self.kwargs["code"])
        self.logged_subject_codes.append(subject.code)
        return (
            CreditRecord.objects.public()
            .filter(subject=subject)
            .select_related(*RECORD_RELATED)
            .order_by("-decision_date", "-id")
        )


@extend_schema_view(
    list=extend_schema(summary="Public records", responses={200: RecordSerializer(many=True), **errors(400)}),
    retrieve=extend_schema(
        summary="A public record",
        parameters=[OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: RecordSerializer, **errors(404)},
    ),
)
class RecordViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Published credit records within their publicity period (never drafts, never personal data)."""

    required_scope = Scope.RECORDS_READ
    serializer_class = RecordSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CreditRecordFilterSet
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return CreditRecord.objects.public().select_related(*RECORD_RELATED).order_by("-decision_date", "-id")

    def get_object(self) -> CreditRecord:
        raw = self.kwargs["pk"]
        if not raw.isdigit() or len(raw) > 18:
            raise exceptions.NotFound(_("No public record has this id."))
        record = self.get_queryset().filter(pk=int(raw)).first()
        if record is None:
            raise exceptions.NotFound(_("No public record has this id."))
        self.logged_subject_codes.append(record.subject.code)
        return record


class ChangesView(ApiMixin, APIView):
    """The change feed: every public change in commit order, resumable with a stable cursor."""

    required_scope = Scope.CHANGES_READ

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


class MatchView(ApiMixin, APIView):
    """Match up to 100 (name, code, district) queries against the registry."""

    required_scope = Scope.SUBJECTS_READ

    @extend_schema(
        summary="Match names and codes to subjects",
        description=matching.__doc__,
        request=MatchRequestSerializer,
        responses={200: MatchResponseSerializer, **errors(400)},
    )
    def post(self, request):
        form = MatchRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        results = []
        for query in form.validated_data["queries"]:
            candidates = matching.match(query, form.validated_data["limit"], form.validated_data["threshold"])
            self.logged_subject_codes.extend(c.subject.code for c in candidates)
            results.append(
                {
                    "query": query,
                    "candidates": [
                        {
                            "score": c.score,
                            "match": c.score >= matching.CONFIDENT,
                            "reasons": c.reasons,
                            "subject": SubjectSerializer(c.subject).data,
                        }
                        for c in candidates
                    ],
                }
            )
        return Response({"results": results})


class OverduePublicationsView(ApiMixin, APIView):
    """Records not published within 7 working days of their decision (双公示, docs/rules.md §2) and
    still unpublished, per department: the regulators' oversight list."""

    required_scope = Scope.OVERSIGHT_READ

    @extend_schema(
        summary="Records overdue for publication, per department",
        parameters=[OverdueQuerySerializer],
        responses={200: OverdueReportSerializer, **errors(400)},
    )
    def get(self, request):
        form = OverdueQuerySerializer(data=request.query_params.dict())
        form.is_valid(raise_exception=True)
        today = beijing_today()
        records = publication.overdue_records(today)
        if "department" in form.validated_data:
            records = records.filter(department__code=form.validated_data["department"])
        rows = publication.overdue_by_department(records)
        ranked = records.annotate(
            rank=Window(
                RowNumber(), partition_by=[F("department_id")], order_by=["publication_deadline", "pk"]
            )
        ).filter(rank__lte=MAX_OVERDUE_RECORDS_PER_DEPARTMENT)
        by_department: dict[int, list] = {}
        for record in ranked.order_by("department_id", "publication_deadline", "pk"):
            by_department.setdefault(record.department_id, []).append(record)
        departments = [
            {
                "department_code": row["department__code"],
                "department_name": row["department__name"],
                "count": row["count"],
                "oldest_deadline": row["oldest_deadline"],
                "records": by_department.get(row["department_id"], []),
            }
            for row in rows
        ]
        total = sum(row["count"] for row in rows)
        return Response(
            OverdueReportSerializer({"as_of": today, "total": total, "departments": departments}).data
        )


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
        responses={201: WebhookCreatedSerializer, **errors(400)},
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
        return ApiRequestLog.objects.filter(agency_id=self.request.auth.agency_id).order_by("-at", "-id")
