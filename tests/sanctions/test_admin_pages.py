"""Every sanctions admin page opens for the people who use it (no error page), with demo-like data."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from registry.choices import Sector, Severity
from sanctions.choices import ListKind
from sanctions.models import IndicatorSystem, Measure

pytestmark = pytest.mark.django_db

MODELS = [model for model in apps.get_app_config("sanctions").get_models() if model in admin.site._registry]


@pytest.fixture
def data(subject, make_subject, list_on, penalty, drain, department_a, regulator_a):
    import datetime as dt
    from decimal import Decimal

    from registry.choices import RecordCategory
    from sanctions.choices import InspectionOutcome
    from sanctions.models import Inspector
    from sanctions.services import grades, inspections, sandbox

    list_on(subject, ListKind.SERIOUS_DISHONESTY)
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    good = make_subject("北京优秀企业有限公司", established_on=dt.date(2010, 1, 1))
    for _index in range(5):
        penalty(good, category=RecordCategory.LICENCE)
    grades.recompute_grades()
    member = sandbox.admit(good, department=department_a, actor=regulator_a)
    penalty(good, sector=Sector.DRUGS, decision_date=dt.date(2026, 11, 20))
    drain()
    assert member.clues.exists()
    pool = [
        Inspector.objects.create(department=department_a, name=f"员{i}", badge_number=f"9{i}")
        for i in range(3)
    ]
    task = inspections.create_task(
        department=department_a,
        actor=regulator_a,
        name="抽查",
        reference="京市监抽〔2026〕5号",
        legal_basis="依据",
        inspectors=pool,
        ratio_a=Decimal("1"),
        ratio_b=Decimal("1"),
        ratio_c=Decimal("1"),
        ratio_d=Decimal("1"),
    )
    task = inspections.draw(task, actor=regulator_a)
    inspections.record_result(
        task.assignments.first(), actor=regulator_a, outcome=InspectionOutcome.NO_PROBLEM
    )


@pytest.mark.parametrize("persona", ["platform_admin", "regulator_a"])
def test_every_changelist_and_add_page_opens(client, request, data, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    for model in MODELS:
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code in (200, 403), (model, changelist.status_code)
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code in (200, 403), (model, add.status_code)
        if changelist.status_code == 200:
            for obj in model.objects.all()[:2]:
                page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
                assert page.status_code in (200, 302), (model, obj.pk, page.status_code)


def test_catalogues_are_read_only_to_regulators(client, regulator_a):
    client.force_login(regulator_a)
    measure = Measure.objects.first()
    assert client.get(reverse("admin:sanctions_measure_add")).status_code == 403
    page = client.get(reverse("admin:sanctions_measure_change", args=[measure.pk]))
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    system = IndicatorSystem.objects.get()
    assert client.get(reverse("admin:sanctions_indicatorsystem_change", args=[system.pk])).status_code == 200
