"""The public representation of subjects and records: the API, the change feed and the bulk
export all use these, so a snapshot plus the feed reproduces what the API shows.

Personal data never appears (DOMAIN.md 6): no identity numbers (not even their digest), and for
individual businesses, run by a natural person, neither the operator's name nor the address.
The representation depends only on the object's own row, never on derived values (such as
"has a dishonesty record"), so every change of it comes with a ledger entry and a feed event.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disclosure.api_models import ApiRequestLog, Export, Webhook, WebhookDelivery
from registry.models import CreditRecord, Subject
from registry.services import PUBLIC_RECORD_FIELDS

MAX_MATCH_QUERIES = 100
MAX_WATCHED_SUBJECTS = 1000


class FormerNameSerializer(serializers.Serializer):
    name = serializers.CharField()
    used_until = serializers.DateField()


class SubjectSerializer(serializers.ModelSerializer):
    """A market subject's registration (basic) information."""

    former_names = serializers.SerializerMethodField()
    legal_representative = serializers.SerializerMethodField()
    registered_address = serializers.SerializerMethodField()

    class Meta:
        model = Subject
        fields = [
            "code",
            "registration_number",
            "name",
            "former_names",
            "subject_type",
            "category_code",
            "division_code",
            "district",
            "legal_representative",
            "registered_address",
            "industry",
            "registered_capital",
            "established_on",
            "status",
        ]

    @extend_schema_field(FormerNameSerializer(many=True))
    def get_former_names(self, subject: Subject) -> list[dict]:
        return FormerNameSerializer(subject.former_names.all(), many=True).data

    def get_legal_representative(self, subject: Subject) -> str | None:
        """Null for an individual business: its operator is a natural person (docs/rules.md §6)."""
        return None if subject.is_natural_person_business else subject.legal_representative

    def get_registered_address(self, subject: Subject) -> str | None:
        """Null for an individual business: the address is a natural person's (docs/rules.md §6)."""
        return None if subject.is_natural_person_business else subject.registered_address


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


class RecordSerializer(serializers.ModelSerializer):
    """A published credit record (only records within their publicity period are ever served)."""

    id = serializers.CharField(source="pk", read_only=True)
    subject_code = serializers.CharField(source="subject.code")
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    publicity = serializers.SerializerMethodField()

    class Meta:
        model = CreditRecord
        fields = [
            "id",
            "subject_code",
            "department_code",
            "department_name",
            *PUBLIC_RECORD_FIELDS,
            "published_at",
            "publicity",
        ]

    @extend_schema_field(PublicityDatesSerializer)
    def get_publicity(self, record: CreditRecord) -> dict:
        return PublicityDatesSerializer(
            {
                "rule_set": record.rule_set.code if record.rule_set_id else None,
                "publication_deadline": record.publication_deadline,
                "publish_from": record.publish_from,
                "publish_until": record.publish_until,
                "repair_eligible_from": record.repair_eligible_from,
            }
        ).data


RECORD_RELATED = ("subject", "department", "rule_set")


def subject_data(subject: Subject) -> dict:
    return SubjectSerializer(subject).data


def record_data(record: CreditRecord) -> dict:
    return RecordSerializer(record).data


# -- Change feed --------------------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    """One change. ``op`` says what to do with ``data``: ``upsert`` (store it, replacing what you
    have for this type and id) or ``remove`` (the object is no longer public: drop it)."""

    cursor = serializers.CharField(help_text=_("Resume after this change with ?after=<cursor>."))
    time = serializers.DateTimeField()
    event = serializers.CharField(
        help_text=_(
            "What happened: subject.created, subject.updated, record.published, record.updated, "
            "record.expired, record.repaired, record.revoked, ..."
        )
    )
    type = serializers.ChoiceField(choices=["subject", "record"])
    id = serializers.CharField(help_text=_("Subject code or record id."))
    subject_code = serializers.CharField()
    op = serializers.ChoiceField(choices=["upsert", "remove"])
    data = serializers.JSONField(
        allow_null=True, help_text=_("Current public representation; null on remove.")
    )


class ChangePageSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(help_text=_("Store it; ask again with ?after=<next_cursor>."))
    has_more = serializers.BooleanField()


# -- Matching -----------------------------------------------------------------------------------


class MatchQuerySerializer(serializers.Serializer):
    # Not trimmed: the lengths are those of what was sent, as the schema states them.
    name = serializers.CharField(max_length=200, allow_blank=True, default="", trim_whitespace=False)
    code = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default="", trim_whitespace=False
    )
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


class MatchRequestSerializer(serializers.Serializer):
    queries = MatchQuerySerializer(many=True, min_length=1, max_length=MAX_MATCH_QUERIES)
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)
    threshold = serializers.FloatField(min_value=0.0, max_value=1.0, default=0.5)


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


# -- Webhooks, exports, usage -------------------------------------------------------------------


@extend_schema_field({"type": "string", "minLength": 18, "maxLength": 18, "pattern": "^[0-9A-Za-z]{18}$"})
class CreditCodeField(serializers.CharField):
    """A credit code; its check characters are verified by the service (400 naming the check)."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)


@extend_schema_field({"type": "string", "format": "uri", "maxLength": 500, "pattern": "^https?://"})
class WebhookUrlField(serializers.URLField):
    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)


class WebhookSerializer(serializers.ModelSerializer):
    url = WebhookUrlField(max_length=500)
    subject_codes = serializers.ListField(
        child=CreditCodeField(max_length=30), min_length=1, max_length=MAX_WATCHED_SUBJECTS
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "subject_codes", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("HMAC-SHA256 signing secret. Shown only in this answer: store it.")
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "subject_code",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


class ExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Export
        fields = ["id", "status", "started_at", "finished_at", "cursor", "manifest"]


class UsageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiRequestLog
        fields = ["at", "method", "endpoint", "path", "status_code", "subject_codes"]
