"""``/api/v1/objections``: the objections to subjects' records and their status, for agencies with
the scope ``objections:read`` (no filer data), and the workflow steps for departments' business
systems with the scope ``objections:decide``: ``POST /api/v1/objections/<id>/<step>``.

A step is taken by the service account of the agency's registered business system
(objections/services/systems.py): 403 when the agency is not one or its department may not take
the step, 409 when the objection's status does not allow it (another reviewer decided first), 400
for a missing reason or a correction the record refuses.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.choices import Scope
from credit_platform.api.base import ApiMixin, errors
from objections.api.serializers import CorrectionRequestSerializer, ObjectionSerializer, StepRequestSerializer
from objections.filtersets import ObjectionFilterSet
from objections.models import Objection
from objections.services import objections as services
from objections.services import systems
from registry.services import InvalidTransition

ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Id of the objection."
)
STEP_ACTIONS = ("accept", "reject", "forward", "correct_platform_error", "uphold", "correct", "revoke")


class Conflict(exceptions.APIException):
    """The objection's status does not allow the step (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("The objection's status does not allow this step.")


def _step_schema(summary: str, request: type = StepRequestSerializer) -> Any:
    return extend_schema(
        summary=summary,
        parameters=[ID_PARAMETER],
        request=request,
        responses={200: ObjectionSerializer, **errors(400, 404, 409)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="Objections to records and their status",
        responses={200: ObjectionSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="An objection", parameters=[ID_PARAMETER], responses={200: ObjectionSerializer, **errors(404)}
    ),
    accept=_step_schema("Intake: accept (the platform's system)"),
    reject=_step_schema("Intake: reject with the reason (the platform's system)"),
    forward=_step_schema("Self-check: forward to the source department (the platform's system)"),
    correct_platform_error=_step_schema(
        "Self-check: correct the platform's error at once (the platform's system)",
        CorrectionRequestSerializer,
    ),
    uphold=_step_schema("Verification: the record stands (the source department's system)"),
    correct=_step_schema(
        "Verification: correct the record (the source department's system)", CorrectionRequestSerializer
    ),
    revoke=_step_schema("Verification: revoke the record (the source department's system)"),
)
class ObjectionViewSet(ApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Objections to published records, newest first. Filters: ``subject`` (credit code),
    ``record_id``, ``department`` (code), ``status``, ``is_open``."""

    required_scope = Scope.OBJECTIONS_READ
    required_scopes = dict.fromkeys(STEP_ACTIONS, Scope.OBJECTIONS_DECIDE)
    serializer_class = ObjectionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ObjectionFilterSet
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return (
            Objection.objects.select_related("subject", "department")
            .prefetch_related("transitions")
            .order_by("-created_at", "-id")
        )

    def get_object(self) -> Objection:
        raw = self.kwargs["pk"]
        found = self.get_queryset().filter(pk=int(raw)).first() if raw.isdigit() and len(raw) <= 18 else None
        if found is None:
            raise exceptions.NotFound(_("No objection has this id."))
        self.logged_subject_codes.append(found.subject.code)
        return found

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        if response.status_code == 200:
            self.logged_subject_codes.extend(item["subject_code"] for item in response.data["results"])
        return response

    def get_serializer_class(self):
        if self.action in ("correct", "correct_platform_error"):
            return CorrectionRequestSerializer
        if self.action in STEP_ACTIONS:
            return StepRequestSerializer
        return ObjectionSerializer

    def _take(self, request, step: str) -> Response:
        account = systems.system_account(request.auth.agency)
        if account is None:
            raise exceptions.PermissionDenied(
                _("This agency is not registered as a department's business system: it takes no steps."),
                code="not_a_department_system",
            )
        objection = self.get_object()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = body.validated_data.get("changes", {})
        try:
            services.STEPS[step](objection, actor=account, reason=body.validated_data["reason"], **changes)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc), code="step_not_permitted") from exc
        except InvalidTransition as exc:
            raise Conflict(str(exc)) from exc
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise exceptions.ValidationError(detail) from exc
        return Response(ObjectionSerializer(self.get_queryset().get(pk=objection.pk)).data)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._take(request, "accept")

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._take(request, "reject")

    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        return self._take(request, "forward")

    @action(detail=True, methods=["post"], url_path="correct-platform-error")
    def correct_platform_error(self, request, pk=None):
        return self._take(request, "correct-platform-error")

    @action(detail=True, methods=["post"])
    def uphold(self, request, pk=None):
        return self._take(request, "uphold")

    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        return self._take(request, "correct")

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._take(request, "revoke")
