"""Which department a subject's registration data belongs to: its registering department.

Market subjects are registered by the market-regulation authority of their district (DOMAIN.md 1:
position 1 of the code, 9 = 市场监管; positions 3-8 the district). So the registering department
is the active market-regulation department of the subject's district, or the municipal
market-regulation department when the subject has no Beijing district or its district has none.
``None`` when neither exists: platform administrators (who act for every department) decide then.

The registry asks it before a subject's registration data changes (services.may_change_subject);
the enterprise portal asks it for the department that decides a binding, a voluntary registration
or a removal application.
"""

from __future__ import annotations

from registry.choices import DepartmentLevel
from registry.models import Department, Subject


def registering_department(subject: Subject) -> Department | None:
    regulators = Department.objects.filter(market_regulation=True, is_active=True).order_by("code")
    if subject.district:
        found = regulators.filter(level=DepartmentLevel.DISTRICT, district=subject.district).first()
        if found is not None:
            return found
    return regulators.filter(level=DepartmentLevel.MUNICIPAL).first()
