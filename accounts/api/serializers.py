"""Serializers of the agency's own endpoints."""

from rest_framework import serializers

from accounts.models import ApiRequestLog


class UsageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiRequestLog
        fields = ["at", "method", "endpoint", "path", "status_code", "subject_codes"]
