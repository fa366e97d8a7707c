"""Limit/offset pages with a capped count: no exact COUNT(*) over millions of rows per page."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination, _positive_int
from rest_framework.response import Response

COUNT_CAP = 10_000


class CappedPagination(LimitOffsetPagination):
    """``limit`` (1-100, default 20) and ``offset`` (at most 10,000). ``count`` stops at 10,000
    with ``count_capped`` true: narrow the filters (or use the bulk export) to go further."""

    default_limit = 20
    max_limit = 100

    def get_count(self, queryset) -> int:
        found = queryset.order_by()[: COUNT_CAP + 1].count()
        self.capped = found > COUNT_CAP
        return min(found, COUNT_CAP)

    def get_offset(self, request) -> int:
        try:
            offset = _positive_int(request.query_params[self.offset_query_param])
        except (KeyError, ValueError):
            return 0
        return min(offset, COUNT_CAP)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.count,
                "count_capped": self.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when there are more than 10,000 results (count then says 10,000).",
        }
        response["required"] = ["count", "count_capped", "results"]
        return response
