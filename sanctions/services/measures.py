"""Which measures apply to a subject now (嵌入式对接, DOMAIN.md 4), lifting a measure for one
entry, and the business systems' feedback (which measure they applied), counted per department.

A measure applies to a subject in a scenario when the subject has an entry in force on the
measure's list, the measure covers the scenario, its duration from the listing has not run out
(DOMAIN.md 9 counting: N months from the start run through the corresponding day), and it was
not lifted for that entry. Measures are computed from live entries, so whatever ends an entry
(its end date, delisting, credit repair through ``lists.end_entries_for_record``) ends its
measures too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from core import ledger
from registry.models import Subject
from registry.publicity import first_day_after
from registry.workdays import beijing_today
from sanctions.choices import ListKind, MeasureType, Scenario
from sanctions.models import ListEntry, Measure, MeasureFeedback, MeasureLift
from sanctions.services.common import actor_name, actor_user, require, require_reason


@dataclass(frozen=True)
class AppliedMeasure:
    """A measure that applies now, with the entry and legal basis behind it."""

    measure: Measure
    entry: ListEntry
    applies_until: dt.date | None  # the last day; None while the subject stays listed


def measure_last_day(measure: Measure, entry: ListEntry) -> dt.date | None:
    """The last day ``measure`` applies to ``entry``: the end of its duration from the listing,
    or of the entry, whichever comes first (None: as long as the subject is listed)."""
    ends = [entry.ends_on] if entry.ends_on else []
    if measure.duration_months:
        ends.append(first_day_after(entry.starts_on, measure.duration_months) - dt.timedelta(days=1))
    return min(ends) if ends else None


def measures_for(
    subject: Subject, *, scenario: str | None = None, today: dt.date | None = None
) -> list[AppliedMeasure]:
    """The measures that apply to ``subject`` on ``today`` (in ``scenario``, or any): three
    queries whatever the number of entries and measures."""
    today = today or beijing_today()
    if scenario is not None and scenario not in Scenario.values:
        raise ValidationError({"scenario": _("There is no such scenario.")})
    entries = list(
        ListEntry.objects.in_force(today)
        .filter(subject=subject)
        .select_related("department", "record")
        .prefetch_related("basis")
        .order_by("list_kind", "starts_on", "pk")
    )
    if not entries:
        return []
    measures = Measure.objects.filter(is_active=True, list_kind__in={entry.list_kind for entry in entries})
    if scenario is not None:
        measures = measures.filter(scenarios__contains=[scenario])
    measures = list(measures.order_by("code"))
    lifted = set(MeasureLift.objects.filter(entry__in=entries).values_list("entry_id", "measure_id"))
    applied = []
    for entry in entries:
        for measure in measures:
            if measure.list_kind != entry.list_kind or (entry.pk, measure.pk) in lifted:
                continue
            last_day = measure_last_day(measure, entry)
            if last_day is not None and last_day < today:
                continue
            applied.append(AppliedMeasure(measure, entry, last_day))
    return applied


@transaction.atomic
def lift_measure(entry: ListEntry, measure: Measure, *, actor: Any, reason: str) -> MeasureLift:
    """Stop applying ``measure`` to ``entry`` while the subject stays listed (needs
    ``sanctions.lift_measure`` and the entry's department in scope)."""
    entry = ListEntry.objects.select_for_update().get(pk=entry.pk)
    require(
        actor,
        "sanctions.lift_measure",
        entry.department_id,
        _("You may only lift measures of listings your own department decided."),
    )
    reason = require_reason(reason)
    if measure.list_kind != entry.list_kind:
        raise ValidationError({"measure": _("This measure does not belong to the entry's list.")})
    if MeasureLift.objects.filter(entry=entry, measure=measure).exists():
        raise ValidationError({"measure": _("This measure was lifted for this entry already.")})
    lift = MeasureLift.objects.create(
        entry=entry, measure=measure, reason=reason, actor=actor_user(actor), actor_name=actor_name(actor)
    )
    ledger.record(
        "sanctions.measurelift.lifted",
        lift,
        actor,
        {"status": "applied"},
        {"status": "lifted", "entry": entry.pk, "measure": measure.code, "reason": reason},
    )
    return lift


@transaction.atomic
def record_feedback(
    *,
    api_key: Any,
    subject: Subject,
    measure: Measure,
    entry: ListEntry,
    scenario: str,
    applied: bool,
    case_reference: str = "",
    note: str = "",
) -> MeasureFeedback:
    """A business system reports what it did with a measure the check gave it."""
    errors = {}
    if entry.subject_id != subject.pk:
        errors["entry"] = _("This list entry is not the subject's.")
    elif measure.list_kind != entry.list_kind:
        errors["measure"] = _("This measure does not belong to the entry's list.")
    if scenario not in measure.scenarios:
        errors["scenario"] = _("This measure does not apply in this scenario.")
    if errors:
        raise ValidationError(errors)
    feedback = MeasureFeedback.objects.create(
        agency_id=api_key.agency_id,
        api_key=api_key,
        subject=subject,
        measure=measure,
        entry=entry,
        implementing_department=measure.implementing_department,
        scenario=scenario,
        applied=applied,
        case_reference=case_reference.strip(),
        note=note.strip(),
    )
    ledger.record(
        "sanctions.measurefeedback.recorded",
        feedback,
        None,
        None,
        {**ledger.snapshot(feedback), "agency": api_key.agency.name},
    )
    return feedback


def feedback_counts(feedback: QuerySet | None = None) -> list[dict[str, Any]]:
    """Per implementing department: reports, measures applied and not applied (one query)."""
    feedback = MeasureFeedback.objects.all() if feedback is None else feedback
    rows = (
        feedback.order_by()
        .values("implementing_department")
        .annotate(
            total=Count("id"),
            n_applied=Count("id", filter=Q(applied=True)),
            n_rewards=Count("id", filter=Q(measure__measure_type=MeasureType.REWARD)),
        )
        .order_by("-total", "implementing_department")
    )
    return [
        {
            "implementing_department": row["implementing_department"],
            "total": row["total"],
            "applied": row["n_applied"],
            "not_applied": row["total"] - row["n_applied"],
            "rewards": row["n_rewards"],
            "punishments": row["total"] - row["n_rewards"],
        }
        for row in rows
    ]


def check_measure_consistency(measure: Measure) -> None:
    """Rewards belong to the red list, punishments to the other lists (DOMAIN.md 4)."""
    is_reward_list = measure.list_kind == ListKind.RED_LIST
    if is_reward_list != (measure.measure_type == MeasureType.REWARD):
        raise ValidationError(
            {"measure_type": _("Red-list measures are rewards; measures of the other lists are punishments.")}
        )
    if not measure.scenarios:
        raise ValidationError({"scenarios": _("Name at least one scenario.")})
