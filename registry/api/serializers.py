"""Serializers of the registry's endpoints: subjects, public records, matching and the oversight
list. Subjects and records are rendered from the public projection (registry/projection.py),
which alone decides what a citizen may see; the change feed and the bulk export use these too,
so a snapshot plus the feed reproduces what the API shows.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from credit_platform.api.fields import StrictCharField
from registry.choices import (
    District,
    PenaltyType,
    Procedure,
    RecordCategory,
    Sector,
    Severity,
    SubjectStatus,
    SubjectType,
)
from registry.models import CreditRecord, Subject
from registry.projection import (
    PublicRecord,
    PublicSubject,
    public_record,
    public_subject,
)

MAX_MATCH_QUERIES = 100


class FormerNameSerializer(serializers.Serializer):
    name = serializers.CharField()
    used_until = serializers.DateField()


class SubjectSerializer(serializers.Serializer):
    """A market subject's registration (basic) information, as citizens see it."""

    code = serializers.CharField()
    registration_number = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    former_names = FormerNameSerializer(many=True)
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    category_code = serializers.CharField()
    division_code = serializers.CharField()
    district = serializers.ChoiceField(choices=District.choices, allow_blank=True)
    legal_representative = serializers.CharField(
        allow_null=True,
        help_text=_("Null for an individual business: its operator is a natural person."),
    )
    registered_address = serializers.CharField(
        allow_null=True,
        help_text=_("Null for an individual business: the address is a natural person's."),
    )
    industry = serializers.CharField(allow_blank=True)
    registered_capital = serializers.DecimalField(
        max_digits=16, decimal_places=4, allow_null=True, help_text=_("In 10,000 CNY.")
    )
    established_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=SubjectStatus.choices)

    def to_representation(self, instance: Subject | PublicSubject) -> dict[str, Any]:
        if isinstance(instance, Subject):
            instance = public_subject(instance)
        return _public_subject_data(instance)


_CAPITAL = SubjectSerializer._declared_fields["registered_capital"]


def _public_subject_data(subject: PublicSubject) -> dict[str, Any]:
    """What ``SubjectSerializer``'s fields make of ``subject``, built directly: the same keys in the
    same order and the same values (tests/api/test_subject_lookup.py compares the two), without
    DRF's per-field machinery, which cost more than the lookup's query."""
    capital = subject.registered_capital
    established = subject.established_on
    return {
        "code": subject.code,
        "registration_number": subject.registration_number,
        "name": subject.name,
        "former_names": [
            {"name": former.name, "used_until": former.used_until.isoformat()}
            for former in subject.former_names
        ],
        "subject_type": subject.subject_type,
        "category_code": subject.category_code,
        "division_code": subject.division_code,
        "district": subject.district,
        "legal_representative": subject.legal_representative,
        "registered_address": subject.registered_address,
        "industry": subject.industry,
        "registered_capital": None if capital is None else _CAPITAL.to_representation(capital),
        "established_on": None if established is None else established.isoformat(),
        "status": subject.status,
    }


class PublicityDatesSerializer(serializers.Serializer):
    """The record's publicity period under the rule set that governs it (docs/rules.md §2)."""

    rule_set = serializers.CharField(allow_null=True, help_text=_("Code of the publicity rule set."))
    publication_deadline = serializers.DateField(allow_null=True)
    publish_from = serializers.DateField(allow_null=True)
    publish_until = serializers.DateField(
        allow_null=True, help_text=_("From this date on the record is no longer public.")
    )
    repair_eligible_from = serializers.DateField(
        allow_null=True, help_text=_("Credit repair possible from; null when not repairable.")
    )


class RecordSerializer(serializers.Serializer):
    """A published credit record (only records within their publicity period are ever served)."""

    id = serializers.CharField()
    subject_code = serializers.CharField()
    department_code = serializers.CharField()
    department_name = serializers.CharField()
    category = serializers.ChoiceField(choices=RecordCategory.choices)
    document_number = serializers.CharField()
    case_name = serializers.CharField()
    penalty_types = serializers.ListField(child=serializers.ChoiceField(choices=PenaltyType.choices))
    facts = serializers.CharField(allow_blank=True)
    legal_basis = serializers.CharField()
    result = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    decision_date = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.choices)
    sector = serializers.ChoiceField(choices=Sector.choices)
    procedure = serializers.ChoiceField(choices=Procedure.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    publicity = PublicityDatesSerializer()
    is_disputed = serializers.BooleanField(
        help_text=_(
            "An objection to the record is open (异议处理中): the source department is re-examining it."
        )
    )

    def to_representation(self, instance: CreditRecord | PublicRecord) -> dict[str, Any]:
        if isinstance(instance, CreditRecord):
            instance = public_record(instance)
        return super().to_representation(instance)


# One instance each, reused: building a serializer deep-copies its fields, which cost more than
# rendering (the change feed and the bulk export render thousands of objects per request or run).
_SUBJECT_SERIALIZER = SubjectSerializer()
_RECORD_SERIALIZER = RecordSerializer()


def subject_data(subject: Subject | PublicSubject) -> dict[str, Any]:
    return _SUBJECT_SERIALIZER.to_representation(subject)


def record_data(record: CreditRecord | PublicRecord) -> dict[str, Any]:
    return _RECORD_SERIALIZER.to_representation(record)


class MatchQuerySerializer(serializers.Serializer):
    # Not trimmed: the lengths are those of what was sent, as the schema states them.
    name = StrictCharField(max_length=200, allow_blank=True, default="", trim_whitespace=False)
    code = StrictCharField(max_length=30, required=False, allow_blank=True, default="", trim_whitespace=False)
    district = serializers.ChoiceField(choices=Subject._meta.get_field("district").choices, required=False)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("name", "").strip() and not attrs.get("code", "").strip():
            raise serializers.ValidationError(_("Give a name or a code."))
        return attrs


class MatchQuerySchema(OpenApiSerializerExtension):
    """States the rule of ``MatchQuerySerializer.validate`` in the schema: a name or a code that
    is not blank (at least one character other than white space)."""

    target_class = MatchQuerySerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["anyOf"] = [
            {"required": [name], "properties": {name: {"type": "string", "pattern": r"\S"}}}
            for name in ("name", "code")
        ]
        return schema


class StrictFloatField(serializers.FloatField):
    """A number, not a boolean (JSON ``false`` is not 0.0: the schema says number)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class MatchRequestSerializer(serializers.Serializer):
    queries = MatchQuerySerializer(many=True, min_length=1, max_length=MAX_MATCH_QUERIES)
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)
    threshold = StrictFloatField(min_value=0.0, max_value=1.0, default=0.5)


class MatchRequestSchema(OpenApiSerializerExtension):
    """States the 1-100 queries of a match request in the schema."""

    target_class = MatchRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["properties"]["queries"].update({"minItems": 1, "maxItems": MAX_MATCH_QUERIES})
        return schema


class MatchFeatureSerializer(serializers.Serializer):
    feature = serializers.CharField()
    score = serializers.FloatField()
    detail = serializers.CharField(allow_blank=True)


class MatchCandidateSerializer(serializers.Serializer):
    score = serializers.FloatField()
    match = serializers.BooleanField(help_text=_("Score at or above 0.9: a confident match."))
    reasons = MatchFeatureSerializer(many=True)
    subject = SubjectSerializer()


class MatchResultSerializer(serializers.Serializer):
    query = MatchQuerySerializer()
    candidates = MatchCandidateSerializer(many=True)


class MatchResponseSerializer(serializers.Serializer):
    results = MatchResultSerializer(many=True)


# -- Oversight: records overdue for publication --------------------------------------------------

MAX_OVERDUE_RECORDS_PER_DEPARTMENT = 100
DEPARTMENT_CODE_PATTERN = r"^[-a-zA-Z0-9_]+$"


class OverdueQuerySerializer(serializers.Serializer):
    department = serializers.RegexField(
        DEPARTMENT_CODE_PATTERN,
        max_length=40,
        required=False,
        help_text=_("Only this department (its code)."),
    )


class OverdueRecordSerializer(serializers.ModelSerializer):
    """A record past its publication deadline and still unpublished. Not public yet, so only what
    identifies the decision: no subject, no facts (it may concern a natural person, docs/rules.md §6)."""

    id = serializers.CharField(source="pk", read_only=True)

    class Meta:
        model = CreditRecord
        fields = ["id", "document_number", "category", "status", "decision_date", "publication_deadline"]


class OverdueDepartmentSerializer(serializers.Serializer):
    department_code = serializers.CharField()
    department_name = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Records of this department overdue for publication."))
    oldest_deadline = serializers.DateField(help_text=_("The earliest missed publication deadline."))
    records = OverdueRecordSerializer(
        many=True,
        help_text=_("The overdue records, earliest deadline first (at most 100)."),
    )


class OverdueReportSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text=_("Today in Beijing: deadlines before it are missed."))
    total = serializers.IntegerField()
    departments = OverdueDepartmentSerializer(many=True)
