"""API of consented access: a subject's non-public information for the agency it named."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Scope
from credit_platform.api.base import CODE_PARAMETER, ApiMixin, errors
from credit_platform.api.errors import ErrorSerializer
from enterprises import identity, private
from enterprises.api.serializers import (
    IdentityCheckAnswerSerializer,
    IdentityCheckRequestSerializer,
    PrivateInformationSerializer,
)
from enterprises.choices import GrantUseOutcome, IdentityCheckOutcome
from enterprises.services import consent
from registry.api.views import resolve_subject
from registry.workdays import beijing_today


class ConsentRefused(exceptions.PermissionDenied):
    """403: the grant exists for this agency but does not allow a read today."""

    MESSAGES = {
        GrantUseOutcome.REFUSED_REVOKED: ("consent_revoked", gettext_lazy("The subject revoked this grant.")),
        GrantUseOutcome.REFUSED_EXPIRED: ("consent_expired", gettext_lazy("This grant's period has ended.")),
        GrantUseOutcome.REFUSED_NOT_YET_VALID: (
            "consent_not_yet_valid",
            gettext_lazy("This grant's period has not begun."),
        ),
    }

    def __init__(self, outcome: str):
        code, message = self.MESSAGES[outcome]
        super().__init__(str(message), code=code)


class PrivateInformationView(ApiMixin, APIView):
    """A subject's non-public information (records whose publicity ended, records the rules do not
    publish, unpublished annual-report figures; never natural persons' data, withheld or repaired
    records), served only under a valid consent grant the subject gave this agency (Beijing
    Government Order No. 280). Every request under a grant is logged and shown to the subject."""

    required_scope = Scope.CONSENTED_READ
    query_parameters = ("grant",)

    @extend_schema(
        summary="A subject's non-public information, with its consent",
        description=private.__doc__,
        parameters=[
            CODE_PARAMETER,
            OpenApiParameter(
                "grant",
                {"type": "string", "format": "uuid"},
                required=True,
                description="The id of the consent grant the subject gave this agency.",
            ),
        ],
        responses={
            200: PrivateInformationSerializer,
            **errors(400, 404),
            403: OpenApiResponse(
                ErrorSerializer,
                description="The key lacks the scope (scope_missing), or the grant was revoked "
                "(consent_revoked), has ended (consent_expired) or has not begun (consent_not_yet_valid).",
            ),
        },
    )
    def get(self, request, code: str):
        subject = resolve_subject(code)
        self.logged_subject_codes.append(subject.code)
        raw = request.query_params.get("grant", "")
        if not raw.strip():
            raise exceptions.ValidationError(
                {"grant": [_("Send the grant id the subject gave you: ?grant=<id>.")]}
            )
        try:
            grant_id = consent.parse_grant_id(raw)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"grant": exc.message_dict["grant"]}) from exc
        grant, outcome = consent.use_grant(
            grant_id, subject=subject, agency=request.auth.agency, endpoint=request.resolver_match.view_name
        )
        if grant is None or outcome == GrantUseOutcome.REFUSED_OTHER_AGENCY:
            raise exceptions.NotFound(_("This subject gave your agency no grant with this id."))
        if outcome:
            raise ConsentRefused(outcome)
        data = {
            "subject_code": subject.code,
            "grant": grant,
            "ended_records": private.ended_records(subject, beijing_today()),
            "unpublished_records": private.unpublished_by_rule(subject),
            "annual_report_figures": private.private_report_figures(subject),
        }
        return Response(PrivateInformationSerializer(data).data)


class IdentityCheckUnavailable(exceptions.APIException):
    status_code = 503
    default_code = "check_unavailable"
    default_detail = gettext_lazy("The identity check is unavailable at the moment; try again later.")


class IdentityCheckView(ApiMixin, APIView):
    """Whether an identity number is the legal representative's of a subject: yes or no, never the
    number ("usable but not visible", enterprises/identity.py). Rate-limited per key; every question
    is shown to the subject."""

    required_scope = Scope.IDENTITY_VERIFY

    @extend_schema(
        summary="Is this identity number the legal representative's? (yes or no)",
        description=identity.__doc__,
        parameters=[CODE_PARAMETER],
        request=IdentityCheckRequestSerializer,
        responses={
            200: IdentityCheckAnswerSerializer,
            **errors(400, 404),
            503: OpenApiResponse(ErrorSerializer, description="The rate limit cannot be counted now."),
        },
    )
    def post(self, request, code: str):
        subject = resolve_subject(code)
        self.logged_subject_codes.append(subject.code)
        form = IdentityCheckRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            wait = identity.over_limit(request.auth)
        except identity.CheckUnavailable as exc:
            raise IdentityCheckUnavailable() from exc
        if wait is not None:
            raise exceptions.Throttled(wait)
        outcome = identity.check_legal_representative(
            subject, form.validated_data["identity_number"].strip(), request.auth
        )
        if outcome == IdentityCheckOutcome.INVALID_NUMBER:
            raise exceptions.ValidationError(
                {"identity_number": [_("This is not a valid identity number (GB 11643 check).")]}
            )
        return Response({"match": outcome == IdentityCheckOutcome.MATCH})
