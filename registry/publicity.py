"""Publicity rules as data, and the dates they give a credit record (DOMAIN.md section 2).

Each legal regime is a ``PublicityRuleSet`` with its effective-date range and ``PublicityPeriod``
rows (severity x sector x penalty type: published or not, minimum and maximum months, repairable).
The seeds below are the two regimes in DOMAIN.md 2; administrators edit them in the admin. A
record is bound to the rule set in force on its decision date and keeps it.

Dates of a record:
- publication deadline: decision date + 7 working days (national 双公示 requirement for
  administrative licensing and penalty decisions), State Council calendar (registry/workdays.py),
  marked provisional while a year it counts on has no arrangement entered (DOMAIN.md 9);
- publish from: the day publication starts (the decision date unless the regulator chose later);
- repair eligible from: the day after the minimum period ends (credit repair may be applied for);
- publish until: the day after the maximum period ends; from that date on the record is not public.
Periods are counted from the decision date as the Civil Code counts them (DOMAIN.md 9,
``first_day_after``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.choices import (
    PenaltyType,
    Procedure,
    PublicationExemption,
    RecordCategory,
    RecordStatus,
    Sector,
    Severity,
)
from registry.models import CreditRecord, PublicityPeriod, PublicityRuleSet
from registry.workdays import CalendarMissing, Deadline, WorkingCalendar

# National 双公示 requirement: licensing and penalty decisions are published within 7 working days.
PUBLICATION_WORKING_DAYS = 7
DEADLINE_CATEGORIES = (RecordCategory.LICENCE, RecordCategory.PENALTY)
DEADLINE_FIELDS = ("publication_deadline", "deadline_provisional")
# Records whose dates are kept up to date when rules or the calendar change.
UNPUBLISHED_STATUSES = (RecordStatus.DRAFT, RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED)
LIVE_STATUSES = (*UNPUBLISHED_STATUSES, RecordStatus.PUBLISHED)

# Sectors with a one-year minimum under NDRC Order 58 (DOMAIN.md 2).
ORDER_58_LONG_SECTORS = (
    Sector.FOOD,
    Sector.DRUGS,
    Sector.SPECIAL_EQUIPMENT,
    Sector.WORK_SAFETY,
    Sector.FIRE_SAFETY,
)

# Serious penalties that may not be repaired (DOMAIN.md 2: "some serious penalties are not
# repairable: the rule set says which"). NDRC Order No. 58 art. 2 and NDRC Order No. 36 art. 2 allow
# repair "except where laws, regulations or the policy documents of the Party Central Committee and
# the State Council say it is not possible"; which penalties that excludes is for administrators to
# keep current (admin: publicity rule sets). The seed excludes what local repair rules commonly
# exclude as conduct endangering life and health: a licence revoked (吊销许可证件) in the food,
# drugs, special-equipment, work-safety and fire-safety fields, where the sector laws also bar the
# subject from the licence for years (e.g. 《食品安全法》 art. 135: five years).
NOT_REPAIRABLE_SECTORS = (
    Sector.FOOD,
    Sector.DRUGS,
    Sector.SPECIAL_EQUIPMENT,
    Sector.WORK_SAFETY,
    Sector.FIRE_SAFETY,
)

# (code, name, legal basis, in force from, in force until, periods)
# periods: (severity, sector, published, min months, max months, repairable[, penalty type])
SEED_RULE_SETS = [
    (
        "ndrc-order-58",
        "国家发展改革委令第58号（2023年5月1日至2026年3月31日）",
        # NDRC Order No. 58《失信行为纠正后的信用信息修复管理办法（试行）》, in force 2023-05-01,
        # repealed by NDRC Order No. 36 from 2026-04-01: minimum 3 months (1 year for food, drugs,
        # special equipment, work safety, fire safety), maximum 3 years.
        "《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令第58号）：行政处罚信息最短公示期"
        "三个月（食品、药品、特种设备、安全生产、消防领域一年），最长公示期三年。",
        dt.date(2023, 5, 1),
        dt.date(2026, 3, 31),
        [
            *[(severity, "", True, 3, 36, True) for severity in Severity.values],
            *[
                (severity, sector, True, 12, 36, True)
                for severity in Severity.values
                for sector in ORDER_58_LONG_SECTORS
            ],
            *[
                (Severity.SERIOUS, sector, True, 12, 36, False, PenaltyType.LICENCE_REVOCATION)
                for sector in NOT_REPAIRABLE_SECTORS
            ],
        ],
    ),
    (
        "gbf-2025-22",
        "国办发〔2025〕22号及国家发展改革委令第36号（2026年4月1日起）",
        # State Council 国办发〔2025〕22号 and NDRC Order No. 36 (which repealed Order 58), in force
        # from 2026-04-01: minor penalties in principle not published (at most 3 months); general:
        # minimum 3 months, maximum 1 year; serious: minimum 1 year, maximum 3 years.
        "国务院办公厅国办发〔2025〕22号、国家发展改革委令第36号：轻微违法行为的行政处罚信息原则上不公示"
        "（最长三个月）；一般失信行为最短三个月、最长一年；严重失信行为最短一年、最长三年。",
        dt.date(2026, 4, 1),
        None,
        [
            (Severity.MINOR, "", False, 0, 3, True),
            (Severity.GENERAL, "", True, 3, 12, True),
            (Severity.SERIOUS, "", True, 12, 36, True),
            *[
                (Severity.SERIOUS, sector, True, 12, 36, False, PenaltyType.LICENCE_REVOCATION)
                for sector in NOT_REPAIRABLE_SECTORS
            ],
        ],
    ),
]


def seed_rule_sets() -> int:
    """Create the seeded rule sets and their periods where missing; never overwrite edits."""
    created = 0
    for code, name, basis, start, end, periods in SEED_RULE_SETS:
        rule_set, made = PublicityRuleSet.objects.get_or_create(
            code=code,
            defaults={"name": name, "legal_basis": basis, "effective_from": start, "effective_until": end},
        )
        if not made:
            continue  # administrators own it now
        created += 1
        PublicityPeriod.objects.bulk_create(
            [
                PublicityPeriod(
                    rule_set=rule_set,
                    severity=severity,
                    sector=sector,
                    published=published,
                    min_months=low,
                    max_months=high,
                    repairable=repairable,
                    penalty_type=penalty_type[0] if penalty_type else "",
                )
                for severity, sector, published, low, high, repairable, *penalty_type in periods
            ]
        )
    return created


class NoRuleSet(LookupError):
    """No publicity rule set is in force on a date."""


def rule_set_in_force(day: dt.date) -> PublicityRuleSet:
    """The rule set in force on ``day`` (the latest-starting one if administrators made two overlap)."""
    found = (
        PublicityRuleSet.objects.filter(effective_from__lte=day)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day))
        .order_by("-effective_from")
        .first()
    )
    if found is None:
        raise NoRuleSet(
            _("No publicity rule set is in force on %(date)s: an administrator must add one.")
            % {"date": day.isoformat()}
        )
    return found


def _covers(rule_set: PublicityRuleSet, day: dt.date) -> bool:
    return rule_set.effective_from <= day and (
        rule_set.effective_until is None or day <= rule_set.effective_until
    )


class RuleBook:
    """Every rule set with its periods, loaded once: for computing many records (bulk loaders)."""

    def __init__(self) -> None:
        self.rule_sets = list(
            PublicityRuleSet.objects.prefetch_related("periods").order_by("-effective_from")
        )

    def in_force(self, day: dt.date) -> PublicityRuleSet:
        for rule_set in self.rule_sets:
            if _covers(rule_set, day):
                return rule_set
        raise NoRuleSet(
            _("No publicity rule set is in force on %(date)s: an administrator must add one.")
            % {"date": day.isoformat()}
        )


def governing_period(
    rule_set: PublicityRuleSet, severity: str, sector: str, penalty_types: list[str]
) -> PublicityPeriod | None:
    """The period row that applies: among rows matching the severity, the record's sector (or any)
    and one of its penalty types (or any), the longest maximum period wins, then the longest
    minimum (DOMAIN.md 2: with several penalty types, the longest period applies)."""
    rows = [
        row
        for row in rule_set.periods.all()
        if row.severity == severity
        and row.sector in ("", sector)
        and row.penalty_type in ("", *penalty_types)
    ]
    if not rows:
        return None
    return max(
        rows, key=lambda row: (row.max_months, row.min_months, bool(row.sector), bool(row.penalty_type))
    )


def market_regulation_exemption(record: CreditRecord) -> str:
    """Market-regulation rule (2021, DOMAIN.md 2): only ordinary-procedure penalties are published;
    warning-only penalties are not."""
    if not record.department.market_regulation:
        return PublicationExemption.NONE
    types = set(record.penalty_types or [])
    if types and types <= {PenaltyType.WARNING}:
        return PublicationExemption.WARNING_ONLY
    if record.procedure != Procedure.ORDINARY:
        return PublicationExemption.SIMPLIFIED_PROCEDURE
    return PublicationExemption.NONE


def first_day_after(start: dt.date, months: int) -> dt.date:
    """The first day after a period of ``months`` months counted from ``start`` (DOMAIN.md 9).

    Civil Code art. 201-203: the period starts the day after ``start`` and ends at the end of the
    corresponding day of the last month, or of that month's last day when it has no such day. So a
    12-month period from 2026-04-15 runs through 2027-04-15 and this returns 2027-04-16; one month
    from 2026-01-31 runs through 2026-02-28 and this returns 2026-03-01. A period of 0 months has
    no days: it is over at once (``start``)."""
    if months < 0:
        raise ValueError("months must not be negative")
    if months == 0:
        return start
    return start + relativedelta(months=months) + dt.timedelta(days=1)


def publication_deadline(decided: dt.date, calendar: WorkingCalendar) -> Deadline:
    """The 双公示 deadline of a licence or penalty decided on ``decided``."""
    return calendar.deadline(decided, PUBLICATION_WORKING_DAYS)


@dataclass
class PublicityDates:
    rule_set: PublicityRuleSet | None
    publication_deadline: dt.date | None
    deadline_provisional: bool
    publish_from: dt.date | None
    repair_eligible_from: dt.date | None
    publish_until: dt.date | None
    exemption: str


def compute(
    record: CreditRecord, calendar: WorkingCalendar | None = None, rules: RuleBook | None = None
) -> PublicityDates:
    """The rule set and dates of ``record`` from its own fields (the rule set it is bound to is kept
    while its range still covers the decision date). Raises NoRuleSet or CalendarMissing.
    Bulk loaders pass one ``calendar`` and one ``rules`` for all their records."""
    calendar = calendar or WorkingCalendar()
    decided = record.decision_date
    rule_set = record.rule_set if record.rule_set_id and _covers(record.rule_set, decided) else None
    is_penalty = record.category == RecordCategory.PENALTY
    if rule_set is None:
        try:
            rule_set = rules.in_force(decided) if rules else rule_set_in_force(decided)
        except NoRuleSet:
            if is_penalty:
                raise
    exemption = PublicationExemption.NONE
    repair_from = until = None
    if is_penalty:
        period = governing_period(rule_set, record.severity, record.sector, list(record.penalty_types or []))
        if period is None:
            raise NoRuleSet(
                _("The rule set %(rule_set)s has no publicity period for %(severity)s penalties.")
                % {"rule_set": rule_set.name, "severity": Severity(record.severity).label}
            )
        exemption = market_regulation_exemption(record)
        if not exemption and not period.published:
            exemption = PublicationExemption.MINOR_PENALTY
        until = first_day_after(decided, period.max_months)
        if period.repairable:
            repair_from = first_day_after(decided, period.min_months)
    if exemption:
        # Never published: no deadline, no publicity window.
        return PublicityDates(rule_set, None, False, None, None, None, exemption)
    deadline = None
    if record.category in DEADLINE_CATEGORIES:
        deadline = publication_deadline(decided, calendar)
    publish_from = decided
    if (
        record.status == RecordStatus.SCHEDULED
        and record.publish_from is not None
        and record.publish_from >= decided
    ):
        publish_from = record.publish_from  # keep the date the regulator chose on submission
    return PublicityDates(
        rule_set,
        deadline.date if deadline else None,
        deadline.provisional if deadline else False,
        publish_from,
        repair_from,
        until,
        exemption,
    )


PUBLICITY_FIELDS = (
    "rule_set",
    "publication_deadline",
    "deadline_provisional",
    "publish_from",
    "repair_eligible_from",
    "publish_until",
    "publication_exemption",
)


def apply(
    record: CreditRecord, calendar: WorkingCalendar | None = None, rules: RuleBook | None = None
) -> None:
    """Set the rule set and dates on ``record`` (unsaved); a missing rule set, or a year far outside
    any calendar, is a ValidationError on the decision date that says what an administrator must add."""
    # Raw input ("2026-06-01") is parsed as full_clean would, with the same error for a bad date.
    try:
        record.decision_date = CreditRecord._meta.get_field("decision_date").to_python(record.decision_date)
    except ValidationError as exc:
        raise ValidationError({"decision_date": exc.messages}) from exc
    try:
        dates = compute(record, calendar, rules)
    except (NoRuleSet, CalendarMissing) as exc:
        raise ValidationError({"decision_date": str(exc)}, code="publicity") from exc
    record.rule_set = dates.rule_set
    record.publication_deadline = dates.publication_deadline
    record.deadline_provisional = dates.deadline_provisional
    record.publish_from = dates.publish_from
    record.repair_eligible_from = dates.repair_eligible_from
    record.publish_until = dates.publish_until
    record.publication_exemption = dates.exemption


@transaction.atomic
def refresh_rule_set(rule_set: PublicityRuleSet, actor=None) -> int:
    """Recompute the dates of the live records bound to ``rule_set`` after an administrator edited
    it; one ledger entry per record whose dates changed. Returns how many changed."""
    from core import ledger

    calendar = WorkingCalendar()
    changed = 0
    records = (
        CreditRecord.objects.select_for_update(of=("self",))
        .select_related("department", "rule_set")
        .filter(rule_set=rule_set, status__in=LIVE_STATUSES)
        .order_by("pk")
    )
    for record in records.iterator(chunk_size=1000):
        before = ledger.snapshot(record, PUBLICITY_FIELDS)
        try:
            dates = compute(record, calendar)
        except (NoRuleSet, CalendarMissing):
            continue  # the record keeps its dates until the data is there
        # The periods and exemptions follow the edited rules; a published record keeps its deadline
        # and start (they are history), an unpublished one gets them anew.
        if record.status != RecordStatus.PUBLISHED:
            record.publication_deadline = dates.publication_deadline
            record.deadline_provisional = dates.deadline_provisional
            record.publish_from = dates.publish_from
        record.repair_eligible_from = dates.repair_eligible_from
        record.publish_until = dates.publish_until
        record.publication_exemption = dates.exemption
        old, new = ledger.changed(before, ledger.snapshot(record, PUBLICITY_FIELDS))
        if new:
            record.save(update_fields=[*PUBLICITY_FIELDS, "updated_at"])
            ledger.record("registry.record.publicity_recomputed", record, actor, old, new)
            changed += 1
    return changed


@transaction.atomic
def refresh_calendar_years(years: Iterable[int], actor=None, batch_size: int = 1000) -> int:
    """Recompute the publication deadlines counted on ``years`` after their holiday arrangement was
    entered or changed (a ``CalendarYear`` added, a ``CalendarDay`` edited, a newer package synced).

    DOMAIN.md 9: a provisional deadline is recomputed when the arrangement is entered, whether the
    record is published or not; a record not yet published always gets the deadline of the current
    calendar; a published record's final deadline is history and stays. Set-based: one query and
    one UPDATE per batch, one ledger entry per record whose deadline changed. Returns how many."""
    from core import ledger

    years = sorted(set(years))
    if not years:
        return 0
    calendar = WorkingCalendar()
    candidates = (
        CreditRecord.objects.filter(
            status__in=LIVE_STATUSES,
            # The deadline's window (decision date, deadline] overlaps one of the years.
            publication_deadline__gte=dt.date(years[0], 1, 1),
            decision_date__lt=dt.date(years[-1] + 1, 1, 1),
        )
        .filter(Q(deadline_provisional=True) | Q(status__in=UNPUBLISHED_STATUSES))
        .order_by("pk")
        .only("pk", "decision_date", *DEADLINE_FIELDS)
    )
    changed, last_pk = 0, 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk).select_for_update()[:batch_size])
        if not batch:
            return changed
        last_pk = batch[-1].pk
        updates, changes = [], []
        for record in batch:
            touched = range(record.decision_date.year, record.publication_deadline.year + 1)
            if not any(year in touched for year in years):
                continue
            try:
                found = publication_deadline(record.decision_date, calendar)
            except CalendarMissing:
                continue  # the record keeps its deadline until the data is there
            before = ledger.snapshot(record, DEADLINE_FIELDS)
            record.publication_deadline, record.deadline_provisional = found.date, found.provisional
            old, new = ledger.changed(before, ledger.snapshot(record, DEADLINE_FIELDS))
            if new:
                updates.append(record)
                changes.append(ledger.change_for("registry.record.publicity_recomputed", record, old, new))
        if updates:
            now = timezone.now()
            for record in updates:
                record.updated_at = now
            CreditRecord.objects.bulk_update(updates, [*DEADLINE_FIELDS, "updated_at"], batch_size=batch_size)
            ledger.append(changes, actor)
            changed += len(updates)


def backfill(batch_size: int = 1000) -> dict[str, int]:
    """Compute the rule set and dates of records that have none yet (entered before these rules
    existed, or bulk-loaded): one ledger entry per record. Records whose decision date has no rule
    set or no calendar are counted as skipped and keep empty dates."""
    from core import ledger

    calendar, rules = WorkingCalendar(), RuleBook()
    done = skipped = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            records = list(
                CreditRecord.objects.select_for_update(of=("self",))
                .select_related("department")
                .filter(rule_set__isnull=True, pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not records:
                break
            changes = []
            for record in records:
                try:
                    dates = compute(record, calendar, rules)
                except (NoRuleSet, CalendarMissing):
                    skipped += 1
                    continue
                if dates.rule_set is None:
                    skipped += 1
                    continue
                before = ledger.snapshot(record, PUBLICITY_FIELDS)
                record.rule_set = dates.rule_set
                record.publication_deadline = dates.publication_deadline
                record.deadline_provisional = dates.deadline_provisional
                record.publish_from = record.publish_from or dates.publish_from
                record.repair_eligible_from = dates.repair_eligible_from
                record.publish_until = dates.publish_until
                record.publication_exemption = dates.exemption
                record.save(update_fields=[*PUBLICITY_FIELDS, "updated_at"])
                old, new = ledger.changed(before, ledger.snapshot(record, PUBLICITY_FIELDS))
                changes.append(ledger.change_for("registry.record.publicity_recomputed", record, old, new))
                done += 1
            ledger.append(changes)
            last_pk = records[-1].pk
    return {"computed": done, "skipped": skipped}
