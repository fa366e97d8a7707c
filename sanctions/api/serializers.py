"""Serializers of the measure check (嵌入式对接): the measure list, the measures that apply to a
subject with the list entry and legal basis behind each, and the business systems' feedback."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from credit_platform.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSlugField,
)
from sanctions.choices import ListKind, MeasureType, Scenario


class MeasureSerializer(serializers.Serializer):
    """A reward or punishment measure of the measure list (措施清单)."""

    code = serializers.CharField()
    name = serializers.CharField()
    list = serializers.ChoiceField(source="list_kind", choices=ListKind.choices)
    measure_type = serializers.ChoiceField(choices=MeasureType.choices)
    content = serializers.CharField()
    legal_basis = serializers.CharField()
    implementing_department = serializers.CharField()
    scenarios = serializers.ListField(child=serializers.ChoiceField(choices=Scenario.choices))
    duration_months = serializers.IntegerField(
        allow_null=True, help_text=_("Months from the listing; null: as long as the subject is listed.")
    )


class BasisRecordSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk")
    document_number = serializers.CharField()
    category = serializers.CharField()
    decision_date = serializers.DateField()


class EntrySerializer(serializers.Serializer):
    """The list entry a measure applies through."""

    id = serializers.IntegerField(source="pk")
    list = serializers.ChoiceField(source="list_kind", choices=ListKind.choices)
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    document_number = serializers.CharField()
    reason = serializers.CharField()
    legal_basis = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(
        allow_null=True, help_text=_("Last day on the list; null: until removed.")
    )
    basis = BasisRecordSerializer(many=True, source="basis.all")


class AppliedMeasureSerializer(serializers.Serializer):
    measure = MeasureSerializer()
    entry = EntrySerializer()
    applies_until = serializers.DateField(
        allow_null=True, help_text=_("Last day the measure applies; null: while the subject is listed.")
    )


class MeasureCheckSerializer(serializers.Serializer):
    """Which measures apply to the subject today (Beijing time) in the scenario."""

    subject_code = serializers.CharField()
    subject_name = serializers.CharField()
    as_of = serializers.DateField()
    scenario = serializers.ChoiceField(choices=Scenario.choices, allow_null=True)
    measures = AppliedMeasureSerializer(many=True)


class MeasureQuerySerializer(serializers.Serializer):
    scenario = serializers.ChoiceField(
        choices=Scenario.choices, required=False, help_text=_("Omit for every scenario.")
    )


class MeasureListQuerySerializer(serializers.Serializer):
    list = serializers.ChoiceField(choices=ListKind.choices, required=False)
    measure_type = serializers.ChoiceField(choices=MeasureType.choices, required=False)
    scenario = serializers.ChoiceField(choices=Scenario.choices, required=False)


class FeedbackRequestSerializer(serializers.Serializer):
    """What the calling system did with a measure the check gave it."""

    subject_code = StrictCharField(
        min_length=15, max_length=18, help_text=_("The subject's credit code (or registration number).")
    )
    measure = StrictSlugField(max_length=60, help_text=_("The measure's code."))
    entry = StrictIntegerField(min_value=1, max_value=2**62, help_text=_("The list entry's id."))
    scenario = serializers.ChoiceField(choices=Scenario.choices)
    applied = StrictBooleanField(help_text=_("Whether the system applied the measure."))
    case_reference = StrictCharField(
        max_length=100, required=False, allow_blank=True, help_text=_("The case in the calling system.")
    )
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    subject_code = serializers.CharField(source="subject.code")
    measure = serializers.CharField(source="measure.code")
    entry = serializers.IntegerField(source="entry_id")
    scenario = serializers.ChoiceField(choices=Scenario.choices)
    applied = serializers.BooleanField()
    implementing_department = serializers.CharField()
    case_reference = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
