"""Limit/offset pages with a capped count: no exact COUNT(*) over millions of rows per page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from core.paging import COUNT_CAP, capped_count, is_ranked
from registry.search import ranked_rows


class CappedPagination(LimitOffsetPagination):
    """``limit`` (1-100, default 20) and ``offset`` (0-10,000). ``count`` stops at 10,000 (a
    name search at ``registry.search.SEARCH_CAP``, as on the public page) with ``count_capped``
    true: narrow the filters (or use the bulk export) to go further. A value
    outside those ranges (or not a whole number) is a 400 naming the parameter, as the schema says."""

    default_limit = 20
    max_limit = 100

    def paginate_queryset(self, queryset, request, view=None):
        """A ranked name search is paged as the public search page pages it (same cap, same order:
        ``registry.search.ranked_page``); any other list counts up to the cap, then reads its page."""
        if not is_ranked(queryset):
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        page, rows = ranked_rows(queryset, self.offset, self.offset + self.limit, public=True)
        self.capped, self.count = page.capped, page.count
        return rows

    def get_count(self, queryset) -> int:
        found = capped_count(queryset)
        self.capped = found > COUNT_CAP
        return min(found, COUNT_CAP)

    def _whole_number(self, request, name: str, default: int, low: int, high: int) -> int:
        if name not in request.query_params:
            return default
        raw = request.query_params[name]
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            raise exceptions.ValidationError(
                {name: [_("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]}
            )
        return int(raw)

    def get_limit(self, request) -> int:
        return self._whole_number(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return self._whole_number(request, self.offset_query_param, 0, 0, COUNT_CAP)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit, "default": self.default_limit},
            self.offset_query_param: {"minimum": 0, "maximum": COUNT_CAP, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters

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
            "description": (
                "True when there are more than 10,000 results (count then says 10,000); for a name "
                "search (q) the cap is 1,000: the best 1,000 by rank are paged. A name search with "
                "other filters shows their matches among the name's best 1,001, and is capped when "
                "the name has more."
            ),
        }
        response["required"] = ["count", "count_capped", "results"]
        return response
