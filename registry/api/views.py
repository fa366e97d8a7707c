"""API of the registry: subjects, their public records, name matching and the oversight list.

URL scheme (``/api/v1/``): a subject is addressed by its credit code (or legacy registration
number) and what belongs to it hangs below it, each with its own read scope: ``subjects/<code>``
(subjects:read), ``subjects/<code>/records`` (records:read).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, connections, router
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Scope
from core import keptconn, prepared
from credit_platform.api.base import CODE_PARAMETER, ApiMixin, errors
from credit_platform.api.errors import InvalidCode
from registry import publication, search
from registry.api import matching
from registry.api.serializers import (
    MAX_MATCH_QUERIES,
    MAX_OVERDUE_RECORDS_PER_DEPARTMENT,
    MatchRequestSerializer,
    MatchResponseSerializer,
    OverdueQuerySerializer,
    OverdueReportSerializer,
    RecordSerializer,
    SubjectSerializer,
    subject_data,
)
from registry.codes import classify_query, normalise_code
from registry.filtersets import CreditRecordFilterSet, SubjectFilterSet
from registry.models import CreditRecord, Subject
from registry.projection import RECORD_RELATED, SUBJECT_COLUMNS, FormerName, PublicSubject, public_subject_of
from registry.workdays import beijing_today


def resolve_subject(raw: str) -> Subject:
    """The subject with this credit code or registration number; 400 naming the failed check for
    a malformed key, 404 for a well-formed one that is not on file."""
    subject = Subject.objects.by_key(raw).prefetch_related("former_names").first()
    if subject is not None:
        return subject
    raise _missing(raw)


def _missing(raw: str) -> exceptions.APIException:
    """Why no subject has this key: 400 naming the failed check, or 404 for a well-formed key."""
    value = normalise_code(raw)
    kind = (
        search.Kind.REGISTRATION_NUMBER
        if classify_query(value) == "registration_number"
        else search.Kind.CODE
    )
    problem = search.code_problem(value, kind)
    if problem is not None:
        return InvalidCode(problem.message, problem.check)
    return exceptions.NotFound(_("No subject has this credit code."))


# A subject and its former names (newest first) in one query and one round trip, as values: the
# API's lookup by code, its busiest endpoint (bench/README.md). The same rows as
# ``resolve_subject``'s two queries; a key of 15 characters may be a legacy registration number.
_LOOKUP = """
    SELECT {columns},
        ARRAY(SELECT n.name FROM registry_subjectname n WHERE n.subject_id = s.id
              ORDER BY n.used_until DESC, n.id),
        ARRAY(SELECT n.used_until FROM registry_subjectname n WHERE n.subject_id = s.id
              ORDER BY n.used_until DESC, n.id)
    FROM registry_subject s WHERE {where} ORDER BY s.code LIMIT 1
"""
_LOOKUP_BY_CODE = _LOOKUP.format(columns=", ".join(f"s.{c}" for c in SUBJECT_COLUMNS), where="s.code = %s")
_LOOKUP_BY_EITHER = _LOOKUP.format(
    columns=", ".join(f"s.{c}" for c in SUBJECT_COLUMNS), where="(s.code = %s OR s.registration_number = %s)"
)


_REGISTRATION_NUMBER_LENGTH = Subject._meta.get_field("registration_number").max_length


def _fetch(connection, sql: str, params: list[str]) -> tuple | None:
    with connection.cursor() as cursor:
        # Planned once per connection: planning was 0.1 of the statement's 0.2-0.3 ms (core/prepared.py).
        prepared.execute(cursor, sql, params)
        return cursor.fetchone()


def lookup_subject(raw: str) -> PublicSubject:
    """The public projection of the subject with this credit code or registration number (one
    query, no model instances); the errors of ``resolve_subject``."""
    key = normalise_code(raw)
    if len(key) <= _REGISTRATION_NUMBER_LENGTH:
        sql, params = _LOOKUP_BY_EITHER, [key, key]
    else:
        sql, params = _LOOKUP_BY_CODE, [key]
    connection = connections[router.db_for_read(Subject)]
    # Django pings a kept connection (CONN_HEALTH_CHECKS: SELECT 1) before a request's first query,
    # a second round trip for this one-query read; instead the read is retried once on a new
    # connection if the kept one turns out dead (a restarted database, a pooler's recycling).
    kept = keptconn.unproven(connection)  # a kept connection nothing has checked yet
    if kept:
        connection.health_check_done = True
    try:
        row = _fetch(connection, sql, params)
    except (OperationalError, InterfaceError):
        if not kept or connection.in_atomic_block:
            raise
        connection.close()
        row = _fetch(connection, sql, params)
    if row is None:
        raise _missing(raw)
    *values, names, dates = row
    former = (FormerName(name, until) for name, until in zip(names, dates, strict=True))
    return public_subject_of(dict(zip(SUBJECT_COLUMNS, values, strict=True)), former)


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

    def retrieve(self, request, *args, **kwargs):
        subject = lookup_subject(self.kwargs["code"])
        self.logged_subject_codes.append(subject.code)
        return Response(subject_data(subject))

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


class MatchView(ApiMixin, APIView):
    """Match up to 100 (name, code, district) queries against the registry."""

    required_scope = Scope.SUBJECTS_READ

    def request_cost(self, request) -> int:
        """One quota unit per query of the batch (credit_platform/api/throttling.py); a batch too
        large to be answered costs 1 (it is refused before any work)."""
        queries = request.data.get("queries") if isinstance(request.data, dict) else None
        valid = isinstance(queries, list) and len(queries) <= MAX_MATCH_QUERIES
        return len(queries) if valid else 1

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
    query_parameters = ("department",)

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
