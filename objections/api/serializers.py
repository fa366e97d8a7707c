"""Serializers of ``/api/v1/objections``: an objection's status and history, never its filer (no
name, contact, grounds or evidence: docs/rules.md §6), and the bodies of the workflow steps."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from credit_platform.api.fields import StrictCharField
from objections.choices import ObjectionStatus
from objections.models import Objection, ObjectionTransition


class ObjectionStepSerializer(serializers.ModelSerializer):
    """One status change: what it became, when, and when the next step is due."""

    status = serializers.ChoiceField(source="to_status", choices=ObjectionStatus.choices)
    at = serializers.DateTimeField(source="created_at")
    due_on = serializers.DateField(allow_null=True, help_text=_("The next step is due on this day."))

    class Meta:
        model = ObjectionTransition
        fields = ["status", "at", "due_on"]


class ObjectionSerializer(serializers.ModelSerializer):
    """An objection to a record and where it stands (no filer data)."""

    id = serializers.CharField(source="pk", read_only=True)
    record_id = serializers.CharField(read_only=True)
    subject_code = serializers.CharField(source="subject.code", read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)
    status = serializers.ChoiceField(choices=ObjectionStatus.choices, read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    filed_at = serializers.DateTimeField(source="created_at", read_only=True)
    due_on = serializers.DateField(
        allow_null=True, read_only=True, help_text=_("The current step is due on this day (working days).")
    )
    due_provisional = serializers.BooleanField(
        read_only=True,
        help_text=_("The due date was counted before the year's holiday arrangement was entered."),
    )
    closed_at = serializers.DateTimeField(allow_null=True, read_only=True)
    corrected_version = serializers.IntegerField(
        allow_null=True, read_only=True, help_text=_("The record's version the correction created.")
    )
    history = ObjectionStepSerializer(source="transitions", many=True, read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "record_id",
            "subject_code",
            "department_code",
            "status",
            "is_open",
            "filed_at",
            "due_on",
            "due_provisional",
            "closed_at",
            "corrected_version",
            "history",
        ]


class StepRequestSerializer(serializers.Serializer):
    """The body of a workflow step: the reason given to the filer (required for every step that
    closes the objection)."""

    reason = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")


class CorrectionRequestSerializer(StepRequestSerializer):
    """A correction: the reason, and the record's fields as they should read (a new version)."""

    changes = serializers.DictField(
        help_text=_(
            'Record fields and their corrected values, e.g. {"amount": "3000.00"}: category, '
            "document_number, case_name, penalty_types, facts, legal_basis, result, amount, "
            "decision_date, valid_until, severity, sector, procedure, withheld_reason."
        )
    )

    def validate_changes(self, value: dict[str, Any]) -> dict[str, Any]:
        from registry.services import RECORD_FIELDS

        unknown = sorted(set(value) - set(RECORD_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                _("Not fields of a record: %(names)s.") % {"names": ", ".join(unknown)}
            )
        if not value:
            raise serializers.ValidationError(_("Say what the correction changes."))
        return value
