"""Serializer fields that take JSON values of the type the schema states, and nothing else.

DRF's own fields coerce: a ``CharField`` turns ``0`` into ``"0"``, a ``BooleanField`` takes
``"yes"`` and ``1``, an ``IntegerField`` takes ``"12"``. The committed schema says ``string``,
``boolean`` and ``integer``; a client that sends something else gets a 400 naming the field
(schemathesis checks that every schema-violating request is refused).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"type": _("Give a string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("type")
        return super().to_internal_value(data)


class StrictSlugField(serializers.SlugField):
    default_error_messages = {"type": _("Give a string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("type")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"type": _("Give true or false.")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("type")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"type": _("Give a whole number.")}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("type")
        return super().to_internal_value(data)
