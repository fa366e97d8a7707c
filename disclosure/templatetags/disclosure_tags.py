"""Small display helpers of the public site."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

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


@register.filter
def capital_wan(value) -> str:
    """Registered capital, stored in 10k CNY, as people read it: ``50 万元``, ``1,234.5 万元``.

    Thousands separators whatever the language (zh-hans formats group by nothing), no trailing
    zeros of the stored four decimals; an empty value is a dash.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{amount:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return gettext("%(amount)s × 10k CNY") % {"amount": text}
