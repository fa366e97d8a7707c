"""API of joint reward and punishment for business systems (scope ``sanctions:check``): the
measure list, which measures apply to a subject now (嵌入式对接), and the feedback of which measure
the calling system applied. docs/lists.md explains the rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Scope
from credit_platform.api.base import CODE_PARAMETER, ApiMixin, errors
from registry.api.views import resolve_subject
from registry.workdays import beijing_today
from sanctions.api.serializers import (
    AppliedMeasureSerializer,
    FeedbackRequestSerializer,
    FeedbackSerializer,
    MeasureCheckSerializer,
    MeasureListQuerySerializer,
    MeasureQuerySerializer,
    MeasureSerializer,
)
from sanctions.models import ListEntry, Measure
from sanctions.services import measures


@extend_schema_view(
    list=extend_schema(
        summary="The measure list (rewards and punishments)",
        parameters=[MeasureListQuerySerializer],
        responses={200: MeasureSerializer(many=True), **errors(400)},
    )
)
class MeasureViewSet(ApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every active measure: what it is, its legal basis, implementing department, scenarios and
    duration. Filters: ``list``, ``measure_type``, ``scenario``."""

    required_scope = Scope.SANCTIONS_CHECK
    serializer_class = MeasureSerializer
    query_parameters = ("list", "measure_type", "scenario")
    queryset = Measure.objects.none()

    def get_queryset(self):
        form = MeasureListQuerySerializer(data=self.request.query_params.dict())
        form.is_valid(raise_exception=True)
        found = Measure.objects.filter(is_active=True).order_by("list_kind", "code")
        if "list" in form.validated_data:
            found = found.filter(list_kind=form.validated_data["list"])
        if "measure_type" in form.validated_data:
            found = found.filter(measure_type=form.validated_data["measure_type"])
        if "scenario" in form.validated_data:
            found = found.filter(scenarios__contains=[form.validated_data["scenario"]])
        return found


class SubjectMeasuresView(ApiMixin, APIView):
    """Which measures apply to the subject today in the scenario, each with the list entry and
    legal basis behind it. An empty list means none applies."""

    required_scope = Scope.SANCTIONS_CHECK
    query_parameters = ("scenario",)

    @extend_schema(
        summary="Measures that apply to a subject now",
        parameters=[CODE_PARAMETER, MeasureQuerySerializer],
        responses={200: MeasureCheckSerializer, **errors(400, 404)},
    )
    def get(self, request, code: str):
        form = MeasureQuerySerializer(data=request.query_params.dict())
        form.is_valid(raise_exception=True)
        subject = resolve_subject(code)
        self.logged_subject_codes.append(subject.code)
        scenario = form.validated_data.get("scenario")
        today = beijing_today()
        applied = measures.measures_for(subject, scenario=scenario, today=today)
        return Response(
            {
                "subject_code": subject.code,
                "subject_name": subject.name,
                "as_of": today,
                "scenario": scenario,
                "measures": AppliedMeasureSerializer(applied, many=True).data,
            }
        )


class MeasureFeedbackView(ApiMixin, APIView):
    """Report whether the calling system applied a measure that a check returned (closing the
    loop); counted per implementing department for administrators."""

    required_scope = Scope.SANCTIONS_CHECK

    @extend_schema(
        summary="Report which measure was applied",
        request=FeedbackRequestSerializer,
        responses={201: FeedbackSerializer, **errors(400, 404)},
    )
    def post(self, request):
        form = FeedbackRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subject = resolve_subject(data["subject_code"])
        self.logged_subject_codes.append(subject.code)
        measure = Measure.objects.filter(code=data["measure"]).first()
        entry = ListEntry.objects.filter(pk=data["entry"]).first()
        problems = {}
        if measure is None:
            problems["measure"] = [_("No measure has this code.")]
        if entry is None:
            problems["entry"] = [_("No list entry has this id.")]
        if problems:
            raise exceptions.ValidationError(problems)
        try:
            feedback = measures.record_feedback(
                api_key=request.auth,
                subject=subject,
                measure=measure,
                entry=entry,
                scenario=data["scenario"],
                applied=data["applied"],
                case_reference=data.get("case_reference", ""),
                note=data.get("note", ""),
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)
