"""Credit grades A/B/C/D (DOMAIN.md 5) from the indicator system in force.

Each indicator's contribution is its weight times its value (counted up to its cap), rounded to
the cent; the score is the sum of the contributions, so an explanation always adds up to the
score (``explain``, property-tested). The grade follows from the system's thresholds.

Grades are recomputed set-based, per batch of subjects: one aggregate query per indicator, one
comparison with the current grades, and a new history row (plus a ledger entry) only for
subjects whose grade, score or explanation changed. The nightly job covers every subject; the
ledger consumer (sanctions/services/consumer.py) covers the subjects whose records changed.
Grades are never public: regulators see them in the admin, the subject's enterprise account
through ``grade_for_enterprise``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core import ledger
from registry.choices import RecordCategory, RecordStatus, Severity
from registry.models import CreditRecord, Subject
from registry.workdays import beijing_today
from sanctions.choices import DISHONESTY_LISTS, PROBLEM_OUTCOMES, IndicatorKind, ListKind, SystemStatus
from sanctions.models import CreditGrade, Indicator, IndicatorSystem, InspectionAssignment, ListEntry

CENT = Decimal("0.01")
BATCH_SIZE = 2000
_LOCK_KEY = 7_106_423_210_777  # grade writers take turns (the consumer and the nightly job)
COUNTED_STATUSES = (RecordStatus.PUBLISHED, RecordStatus.EXPIRED)


class IndicatorLike(Protocol):
    code: str
    name: str
    kind: str
    weight: Decimal
    cap: int | None


@dataclass(frozen=True)
class Line:
    """One indicator of an explanation: its value, what was counted, its contribution."""

    code: str
    name: str
    kind: str
    value: int
    counted: int
    weight: Decimal
    contribution: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "counted": self.counted,
            "weight": str(self.weight),
            "contribution": str(self.contribution),
        }


def explain(indicators: Sequence[IndicatorLike], values: dict[str, int]) -> tuple[list[Line], Decimal]:
    """Every indicator with its value and contribution, and the score (their exact sum)."""
    lines = []
    for indicator in indicators:
        value = int(values.get(indicator.code, 0))
        counted = min(value, indicator.cap) if indicator.cap is not None else value
        contribution = (Decimal(indicator.weight) * counted).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(
            Line(
                indicator.code,
                indicator.name,
                indicator.kind,
                value,
                counted,
                Decimal(indicator.weight),
                contribution,
            )
        )
    return lines, sum((line.contribution for line in lines), Decimal("0.00"))


def active_system() -> IndicatorSystem | None:
    return IndicatorSystem.objects.filter(status=SystemStatus.ACTIVE).first()


# -- Indicator values, one aggregate per indicator ------------------------------------------------


def _counts(queryset, field: str = "subject_id") -> dict[int, int]:
    return dict(queryset.order_by().values(field).annotate(n=Count("id")).values_list(field, "n"))


def _since(indicator: Indicator, today: dt.date, default_months: int) -> dt.date:
    return today - relativedelta(months=indicator.window_months or default_months)


def indicator_values(
    indicators: Iterable[Indicator], subject_ids: Sequence[int], today: dt.date
) -> dict[int, dict[str, int]]:
    """subject id -> indicator code -> value, for ``subject_ids``."""
    values: dict[int, dict[str, int]] = defaultdict(dict)
    penalties = CreditRecord.objects.filter(
        subject_id__in=subject_ids, category=RecordCategory.PENALTY, status__in=COUNTED_STATUSES
    )
    public = CreditRecord.objects.public(today).filter(subject_id__in=subject_ids)
    entries = ListEntry.objects.in_force(today).filter(subject_id__in=subject_ids)
    for indicator in indicators:
        kind = indicator.kind
        if kind == IndicatorKind.BASE:
            counts = dict.fromkeys(subject_ids, 1)
        elif kind in (IndicatorKind.GENERAL_PENALTIES, IndicatorKind.SERIOUS_PENALTIES):
            severity = Severity.GENERAL if kind == IndicatorKind.GENERAL_PENALTIES else Severity.SERIOUS
            counts = _counts(
                penalties.filter(severity=severity, decision_date__gt=_since(indicator, today, 12))
            )
        elif kind == IndicatorKind.DISHONESTY_LISTS:
            counts = _counts(entries.filter(list_kind__in=DISHONESTY_LISTS))
        elif kind == IndicatorKind.KEY_ATTENTION:
            counts = _counts(entries.filter(list_kind=ListKind.KEY_ATTENTION))
        elif kind == IndicatorKind.RED_LIST:
            counts = _counts(entries.filter(list_kind=ListKind.RED_LIST))
        elif kind == IndicatorKind.LICENCES:
            counts = _counts(public.filter(category=RecordCategory.LICENCE))
        elif kind == IndicatorKind.CREDIT_COMMITMENTS:
            counts = _counts(public.filter(category=RecordCategory.CREDIT_COMMITMENT))
        elif kind == IndicatorKind.INSPECTION_PROBLEMS:
            counts = _counts(
                InspectionAssignment.objects.filter(
                    subject_id__in=subject_ids,
                    outcome__in=PROBLEM_OUTCOMES,
                    inspected_on__gt=_since(indicator, today, 24),
                )
            )
        elif kind == IndicatorKind.YEARS_ESTABLISHED:
            counts = {
                pk: relativedelta(today, established).years
                for pk, established in Subject.objects.filter(
                    pk__in=subject_ids, established_on__isnull=False
                ).values_list("pk", "established_on")
                if established <= today
            }
        else:  # a kind added to the choices without its aggregate: counts nothing, visibly
            counts = {}
        for subject_id, count in counts.items():
            values[subject_id][indicator.code] = count
    return values


# -- Recomputation --------------------------------------------------------------------------------


def _subject_batches(subject_ids: Iterable[int] | None, batch_size: int):
    if subject_ids is not None:
        ids = sorted(set(subject_ids))
        for start in range(0, len(ids), batch_size):
            yield ids[start : start + batch_size]
        return
    last = 0
    while True:
        ids = list(
            Subject.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def recompute_grades(
    subject_ids: Iterable[int] | None = None,
    *,
    today: dt.date | None = None,
    batch_size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Recompute the grades of ``subject_ids`` (every subject when None) under the system in
    force; a history row and a ledger entry for each subject whose result changed."""
    today = today or beijing_today()
    system = active_system()
    if system is None:
        return {"changed": 0, "no_system": 1}
    indicators = list(system.indicators.order_by("position", "code"))
    changed = examined = 0
    for ids in _subject_batches(subject_ids, batch_size):
        changed += _recompute_batch(system, indicators, ids, today)
        examined += len(ids)
    return {"examined": examined, "changed": changed}


@transaction.atomic
def _recompute_batch(
    system: IndicatorSystem, indicators: list[Indicator], ids: list[int], today: dt.date
) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    values = indicator_values(indicators, ids, today)
    current = {
        grade.subject_id: grade for grade in CreditGrade.objects.filter(subject_id__in=ids, is_current=True)
    }
    now = timezone.now()
    new_rows, changes, replaced = [], [], []
    for subject_id in ids:
        lines, score = explain(indicators, values.get(subject_id, {}))
        grade = system.grade_for(score)
        explanation = [line.as_json() for line in lines]
        old = current.get(subject_id)
        if (
            old is not None
            and old.system_id == system.pk
            and old.grade == grade
            and old.score == score
            and old.explanation == explanation
        ):
            continue
        if old is not None:
            replaced.append(old.pk)
        row = CreditGrade(
            subject_id=subject_id,
            system=system,
            grade=grade,
            score=score,
            explanation=explanation,
            is_current=True,
            computed_at=now,
        )
        new_rows.append(row)
        changes.append((row, old))
    if not new_rows:
        return 0
    CreditGrade.objects.filter(pk__in=replaced).update(is_current=False)
    CreditGrade.objects.bulk_create(new_rows, batch_size=1000)
    ledger.append(
        [
            ledger.change_for(
                "sanctions.creditgrade.computed",
                row,
                {"grade": old.grade, "score": str(old.score)} if old is not None else None,
                {"subject": row.subject_id, "grade": row.grade, "score": str(row.score), "system": system.pk},
            )
            for row, old in changes
        ]
    )
    return len(new_rows)


# -- Reading grades (regulators, the enterprise portal) -------------------------------------------


def current_grade(subject: Subject | int) -> CreditGrade | None:
    subject_id = subject if isinstance(subject, int) else subject.pk
    return CreditGrade.objects.filter(subject_id=subject_id, is_current=True).select_related("system").first()


def current_grades(subject_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        CreditGrade.objects.filter(subject_id__in=list(subject_ids), is_current=True).values_list(
            "subject_id", "grade"
        )
    )


@dataclass(frozen=True)
class GradeView:
    """What the subject's enterprise account sees: the grade, the score and every indicator."""

    subject_code: str
    grade: str
    grade_label: str
    score: Decimal
    system: str
    computed_at: dt.datetime
    lines: list[dict[str, Any]]
    history: list[dict[str, Any]]


def grade_for_enterprise(user: Any) -> GradeView | None:
    """The current grade of the subject ``user``'s enterprise account is bound to, with its
    explanation and history (never public: only that account sees it). None when the account is
    not bound or the subject has no grade yet. Called by the enterprise portal."""
    code = getattr(user, "subject_code", "") if user is not None and user.is_authenticated else ""
    if not code:
        return None
    subject = Subject.objects.filter(code=code).first()
    if subject is None:
        return None
    grade = current_grade(subject)
    if grade is None:
        return None
    history = [
        {"grade": row.grade, "score": row.score, "computed_at": row.computed_at}
        for row in CreditGrade.objects.filter(subject=subject).order_by("-computed_at", "-id")[:20]
    ]
    return GradeView(
        subject_code=subject.code,
        grade=grade.grade,
        grade_label=grade.get_grade_display(),
        score=grade.score,
        system=str(grade.system),
        computed_at=grade.computed_at,
        lines=grade.explanation,
        history=history,
    )


# -- The indicator system's versions ----------------------------------------------------------------


@transaction.atomic
def copy_as_draft(system: IndicatorSystem, *, actor: Any) -> IndicatorSystem:
    """A new draft version with the same indicators and thresholds, to edit and put in force."""
    latest = IndicatorSystem.objects.filter(code=system.code).order_by("-version").first()
    draft = IndicatorSystem.objects.create(
        code=system.code,
        version=latest.version + 1,
        name=system.name,
        status=SystemStatus.DRAFT,
        threshold_a=system.threshold_a,
        threshold_b=system.threshold_b,
        threshold_c=system.threshold_c,
        notes=system.notes,
    )
    Indicator.objects.bulk_create(
        [
            Indicator(
                system=draft,
                code=indicator.code,
                name=indicator.name,
                kind=indicator.kind,
                weight=indicator.weight,
                cap=indicator.cap,
                window_months=indicator.window_months,
                position=indicator.position,
            )
            for indicator in system.indicators.all()
        ]
    )
    ledger.record(
        "sanctions.indicatorsystem.drafted",
        draft,
        actor,
        None,
        {**ledger.snapshot(draft), "copied_from": system.pk},
    )
    return draft


@transaction.atomic
def put_in_force(system: IndicatorSystem, *, actor: Any) -> IndicatorSystem:
    """Put a draft version in force; the version in force until now is retired. Grades follow at
    the next recomputation (nightly, or at once from the admin)."""
    from django.core.exceptions import ValidationError

    system = IndicatorSystem.objects.select_for_update().get(pk=system.pk)
    if system.status != SystemStatus.DRAFT:
        raise ValidationError(_("Only a draft version can be put in force."))
    if not system.indicators.exists():
        raise ValidationError(_("A version without indicators cannot be put in force."))
    for old in IndicatorSystem.objects.select_for_update().filter(status=SystemStatus.ACTIVE):
        old.status = SystemStatus.RETIRED
        old.save(update_fields=["status"])
        ledger.record(
            "sanctions.indicatorsystem.retired",
            old,
            actor,
            {"status": SystemStatus.ACTIVE},
            {"status": SystemStatus.RETIRED},
        )
    system.status = SystemStatus.ACTIVE
    system.activated_at = timezone.now()
    system.save(update_fields=["status", "activated_at"])
    ledger.record(
        "sanctions.indicatorsystem.activated",
        system,
        actor,
        {"status": SystemStatus.DRAFT},
        {"status": SystemStatus.ACTIVE, "activated_at": ledger.to_json_value(system.activated_at)},
    )
    return system
