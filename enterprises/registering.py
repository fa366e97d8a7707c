"""Which department decides for a subject in the portal: its registering department.

Market subjects are registered by the market-regulation authority of their district (DOMAIN.md 1:
position 1 of the code, 9 = 市场监管; positions 3-8 the district). So the deciding department of
a binding request, a voluntary registration or a removal application without a listing is the
active market-regulation department of the subject's district, or the municipal market-regulation
department when the subject has no Beijing district or its district has none. ``None`` when
neither exists: platform administrators (who act for every department) decide then.
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
