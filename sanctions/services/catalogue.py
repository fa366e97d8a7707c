"""Rules as data (behaviour rules, measures, risk triggers, indicator-system drafts) saved by
administrators: every creation and edit goes through here, with its ledger entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from core import ledger
from sanctions.choices import SystemStatus
from sanctions.models import Indicator, Measure
from sanctions.services.measures import check_measure_consistency


@transaction.atomic
def save_item(instance: models.Model, *, actor: Any) -> models.Model:
    """Validate and save ``instance``; ledger ``sanctions.<model>.created`` or ``.updated`` with
    the fields that changed."""
    if isinstance(instance, Measure):
        check_measure_consistency(instance)
    if isinstance(instance, Indicator) and instance.system.status != SystemStatus.DRAFT:
        raise ValidationError(_("A version in force or retired is not edited: copy it as a new draft."))
    instance.full_clean()
    model = type(instance)
    before = None
    if instance.pk is not None:
        stored = model.objects.select_for_update().filter(pk=instance.pk).first()
        before = ledger.snapshot(stored) if stored is not None else None
    instance.save()
    instance.refresh_from_db()  # stored values (0.03 is stored as 0.0300): no spurious change
    after = ledger.snapshot(instance)
    name = f"sanctions.{model._meta.model_name}"
    if before is None:
        ledger.record(f"{name}.created", instance, actor, None, after)
        return instance
    old, new = ledger.changed(before, after)
    for noise in ("updated_at", "created_at"):
        old.pop(noise, None)
        new.pop(noise, None)
    if new:
        ledger.record(f"{name}.updated", instance, actor, old, new)
    return instance


@transaction.atomic
def delete_draft_indicator(indicator: Indicator, *, actor: Any) -> None:
    """An indicator of a draft version goes (versions in force are never edited)."""
    if indicator.system.status != SystemStatus.DRAFT:
        raise ValidationError(_("Only a draft version's indicators can be removed."))
    ledger.record("sanctions.indicator.deleted", indicator, actor, ledger.snapshot(indicator), None)
    indicator.delete()
