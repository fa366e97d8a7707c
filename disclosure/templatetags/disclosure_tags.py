"""Small display helpers of the public site."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from registry.choices import District, PenaltyType

register = template.Library()


@register.filter
def penalty_labels(values) -> str:
    """Readable, translated penalty types of a record, joined the Chinese way."""
    labels = [PenaltyType(value).label if value in PenaltyType.values else value for value in values or []]
    return "、".join(str(label) for label in labels)


@register.filter
def district_label(value: str) -> str:
    return District(value).label if value in District.values else ""


@register.simple_tag
def capped_count(count: int, capped: bool) -> str:
    """``10,000+`` when the count stopped at the cap, else the exact count with separators."""
    text = number_format(count, force_grouping=True)
    return f"{text}+" if capped else text
