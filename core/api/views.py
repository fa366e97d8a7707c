"""``/api/v1/ledger/``: the Merkle log's checkpoints and proofs.

They are public information by design (the same answers as ``/ledger/*.json``, which anyone may
mirror), so no scope is required: an API key with any scope may read them, and the usual key
authentication, quotas and access log apply as on every endpoint.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import transparency
from core.api.serializers import (
    CheckpointListSerializer,
    ConsistencyProofSerializer,
    InclusionProofSerializer,
)
from core.views import MAX_JSON_LIMIT, MAX_SIZE, BadParameter, checkpoint_listing, parse_size
from credit_platform.api.base import ApiMixin, errors


class NotCheckpointed(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_checkpointed"
    default_detail = gettext_lazy("The latest ledger entry is not yet in a signed checkpoint.")


class LogUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "log_unavailable"


def _size(request: Request, name: str, **kwargs: Any) -> int:
    try:
        return parse_size(request.query_params.get(name), name, **kwargs)
    except BadParameter as exc:
        raise exceptions.ValidationError({name: [str(exc)]}) from exc


class LedgerCheckpointsView(ApiMixin, APIView):
    """Signed checkpoints of the ledger's Merkle log, oldest first, and the latest one."""

    required_scope = ""  # public information: any key may read it
    query_parameters = ("after", "limit")

    @extend_schema(
        summary="Signed ledger checkpoints",
        parameters=[
            OpenApiParameter(
                "after",
                {"type": "integer", "minimum": 0, "maximum": MAX_SIZE},
                description="Only checkpoints of a larger tree size.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_JSON_LIMIT, "default": MAX_JSON_LIMIT},
                description="At most this many checkpoints.",
            ),
        ],
        responses={200: CheckpointListSerializer, **errors(400)},
    )
    def get(self, request: Request) -> Response:
        after = _size(request, "after", default=0)
        limit = _size(request, "limit", default=MAX_JSON_LIMIT, minimum=1, maximum=MAX_JSON_LIMIT)
        return Response(checkpoint_listing(after, limit))


class LedgerProofView(ApiMixin, APIView):
    """Inclusion proof of a public record's latest ledger entry in the latest signed checkpoint."""

    required_scope = ""

    @extend_schema(
        summary="Inclusion proof of a public record",
        parameters=[
            OpenApiParameter(
                "record_id", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}, OpenApiParameter.PATH
            )
        ],
        responses={200: InclusionProofSerializer, **errors(404, 409)},
    )
    def get(self, request: Request, record_id: str) -> Response:
        try:
            return Response(transparency.public_record_proof(int(record_id)))
        except transparency.NotInLog as exc:
            raise exceptions.NotFound(str(exc)) from exc
        except transparency.NotYetCheckpointed as exc:
            raise NotCheckpointed(str(exc)) from exc
        except transparency.LogError as exc:
            raise LogUnavailable(str(exc)) from exc


class LedgerConsistencyView(ApiMixin, APIView):
    """Consistency proof between two signed checkpoints (by tree size)."""

    required_scope = ""
    query_parameters = ("first", "second")

    @extend_schema(
        summary="Consistency proof between two checkpoints",
        parameters=[
            OpenApiParameter("first", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}, required=True),
            OpenApiParameter("second", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}, required=True),
        ],
        responses={200: ConsistencyProofSerializer, **errors(400, 404)},
    )
    def get(self, request: Request) -> Response:
        first, second = _size(request, "first", minimum=1), _size(request, "second", minimum=1)
        if first > second:  # no such proof: a log only grows
            raise exceptions.NotFound(_("There is no consistency proof from a larger tree to a smaller one."))
        try:
            return Response(transparency.consistency_proof(first, second))
        except transparency.NoSuchCheckpoint as exc:
            raise exceptions.NotFound(str(exc)) from exc
        except transparency.LogError as exc:
            raise LogUnavailable(str(exc)) from exc
