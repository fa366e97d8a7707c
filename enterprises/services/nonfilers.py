"""The 1 July job (DOMAIN.md 8; 企业信息公示暂行条例 art. 17): every subject that had to file last
year's annual report and did not by 30 June is proposed for the business abnormality list — an
individual business for the abnormal-status mark instead — by the behaviour rule of that kind
(sanctions, data an administrator edits: its due date, its target list). A regulator of the
subject's registering department confirms the proposals (in bulk, in the admin) or dismisses
them; nothing is listed by the job itself.

The portal holds the filings, so it finds the non-filers and hands them to sanctions' ``propose``
(sanctions does not import the portal). Set-based: one query for the non-filers, one for the
registering departments, one bulk insert of proposals with their ledger entries.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from enterprises.filing import non_filers
from registry.choices import DepartmentLevel, SubjectType
from registry.models import Department
from registry.workdays import beijing_today
from sanctions.choices import ListKind, RuleKind
from sanctions.models import BehaviourRule
from sanctions.services import proposals

# After the due date the job proposes on each of these days (a missed run is caught up), then
# stops: a later filing lets a subject apply for removal instead.
CATCH_UP_DAYS = 30


def _registering_departments() -> tuple[dict[str, int], int | None]:
    """district -> its market-regulation department, and the municipal one (enterprises/registering.py)."""
    regulators = Department.objects.filter(market_regulation=True, is_active=True).order_by("code")
    by_district: dict[str, int] = {}
    municipal = None
    for pk, level, district in regulators.values_list("pk", "level", "district"):
        if level == DepartmentLevel.DISTRICT and district and district not in by_district:
            by_district[district] = pk
        elif level == DepartmentLevel.MUNICIPAL and municipal is None:
            municipal = pk
    return by_district, municipal


def propose_non_filers(today: dt.date | None = None) -> dict[str, int]:
    """Propose last year's non-filers for each active annual-report rule whose due date passed
    within the last ``CATCH_UP_DAYS`` days. Returns how many proposals per rule code."""
    today = today or beijing_today()
    year = today.year - 1
    counts: dict[str, int] = {}
    rules = BehaviourRule.objects.filter(kind=RuleKind.ANNUAL_REPORT_NOT_FILED, is_active=True).order_by(
        "code"
    )
    for rule in rules:
        due = dt.date(today.year, rule.due_month or 6, rule.due_day or 30)
        if not due < today <= due + dt.timedelta(days=CATCH_UP_DAYS):
            continue
        by_district, municipal = _registering_departments()
        matches = []
        for subject_id, subject_type, district in non_filers(year, today).values_list(
            "pk", "subject_type", "district"
        ):
            individual = subject_type == SubjectType.INDIVIDUAL_BUSINESS
            matches.append(
                proposals.Match(
                    subject_id,
                    [],
                    _("The annual report on %(year)d was not filed by %(due)s.")
                    % {"year": year, "due": due.isoformat()},
                    department_id=by_district.get(district, municipal) or rule.department_id,
                    key=f"annual-report:{year}",
                    list_kind=ListKind.ABNORMAL_OPERATION if individual else "",
                )
            )
        made = proposals.propose(rule, matches)
        if made:
            counts[rule.code] = made
    return counts
