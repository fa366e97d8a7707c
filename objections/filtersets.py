"""The FilterSet of objections on the API (``/api/v1/objections``): by subject, record, department,
status and whether the objection is open."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from objections.choices import OPEN_OBJECTION_STATUSES, ObjectionStatus
from objections.models import Objection
from registry.codes import normalise_code
from registry.filtersets import IdFilter, StrictBooleanFilter, StrictFilterSet, TextFilter


class ObjectionFilterSet(StrictFilterSet):
    subject = TextFilter(method="filter_subject", label="Credit code or registration number of the subject")
    record_id = IdFilter(field_name="record_id", label="Id of the record objected to")
    department = TextFilter(
        field_name="department__code", label="Code of the department that decided the record"
    )
    status = django_filters.ChoiceFilter(choices=ObjectionStatus.choices)
    is_open = StrictBooleanFilter(
        method="filter_open", label="Only open (true) or only closed (false) objections"
    )

    class Meta:
        model = Objection
        fields: list[str] = []

    def filter_subject(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        code = normalise_code(value)
        return queryset.filter(subject__code=code) | queryset.filter(subject__registration_number=code)

    def filter_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_OBJECTION_STATUSES)
        return queryset.exclude(status__in=OPEN_OBJECTION_STATUSES)
