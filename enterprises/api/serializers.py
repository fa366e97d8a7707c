"""Serializers of a subject's non-public information served under a consent grant."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from registry.api.serializers import RecordSerializer
from registry.choices import PublicationExemption, RecordStatus
from registry.projection import public_record


class PrivateRecordSerializer(RecordSerializer):
    """A record citizens no longer (or never) see, with why."""

    status = serializers.ChoiceField(choices=RecordStatus.choices)
    publication_exemption = serializers.ChoiceField(
        choices=PublicationExemption.choices,
        allow_blank=True,
        help_text=_("Why the publication rules keep it from publication; empty when its publicity ended."),
    )

    def to_representation(self, instance):
        return serializers.Serializer.to_representation(self, _PrivateRecord(instance))


class _PrivateRecord:
    """The record's public projection (registry/projection.py) plus its status and exemption."""

    def __init__(self, record):
        self._public = public_record(record)
        self.status = record.status
        self.publication_exemption = record.publication_exemption

    def __getattr__(self, name: str):
        return getattr(self._public, name)


class PrivateReportFiguresSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    version = serializers.IntegerField()
    employee_count = serializers.IntegerField(allow_null=True)
    total_assets = serializers.DecimalField(
        max_digits=16, decimal_places=4, allow_null=True, help_text=_("10k CNY.")
    )
    total_revenue = serializers.DecimalField(
        max_digits=16, decimal_places=4, allow_null=True, help_text=_("10k CNY.")
    )
    tax_paid = serializers.DecimalField(
        max_digits=16, decimal_places=4, allow_null=True, help_text=_("10k CNY.")
    )


class GrantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    purpose = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(help_text=_("Last day of the grant."))


class PrivateInformationSerializer(serializers.Serializer):
    subject_code = serializers.CharField()
    grant = GrantSerializer()
    ended_records = PrivateRecordSerializer(many=True, help_text=_("Records whose publicity ended."))
    unpublished_records = PrivateRecordSerializer(
        many=True, help_text=_("Records the publication rules keep from publication.")
    )
    annual_report_figures = PrivateReportFiguresSerializer(
        many=True, help_text=_("Figures of the annual reports in force that the subject did not publish.")
    )


class IdentityCheckRequestSerializer(serializers.Serializer):
    # Not trimmed here (the schema says "at least one character", so blanks get an answer, not a
    # 400); the check strips spaces before it compares.
    identity_number = serializers.CharField(
        min_length=1,
        max_length=40,
        trim_whitespace=False,
        help_text=_("The 18-character resident identity number to check (never stored nor logged)."),
    )


class IdentityCheckAnswerSerializer(serializers.Serializer):
    match = serializers.BooleanField(
        help_text=_("Whether the number is the legal representative's on file (false when none is on file).")
    )
