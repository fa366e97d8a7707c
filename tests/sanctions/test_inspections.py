"""双随机、一公开: random subjects with a sampling ratio per grade, random inspectors from the
department's pool, a recorded seed that reproduces the draw, results published as spot-check
records."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from registry.choices import District, RecordCategory, RecordStatus
from registry.models import CreditRecord
from sanctions.choices import Grade, InspectionOutcome, InspectionStatus
from sanctions.models import CreditGrade, InspectionAssignment, InspectionTask, Inspector
from sanctions.services import grades, inspections
from tests.base import valid_code
from tests.sanctions.conftest import ledger_actions

RATIOS = {
    Grade.A: Decimal("0.03"),
    Grade.B: Decimal("0.05"),
    Grade.C: Decimal("0.10"),
    Grade.D: Decimal("0.20"),
}


def _chi_square_critical(df: int, z: float = 3.09) -> float:
    """Wilson-Hilferty approximation of the chi-square quantile (z = 3.09: p = 0.001)."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_over_many_draws_each_grade_gets_its_ratio_and_every_subject_the_same_chance():
    groups = {
        grade: list(range(offset * 1000 + 1, offset * 1000 + 101)) for offset, grade in enumerate(RATIOS)
    }
    groups[""] = []
    ratios = {**RATIOS, "": Decimal("0.05")}
    draws = 2000
    picked: dict[int, int] = {}
    inspector_load: dict[int, int] = {}
    for n in range(draws):
        drawn = inspections.run_draw(f"seed-{n}", groups, ratios, pool=range(1, 9), per_subject=2)
        by_grade: dict[str, int] = {}
        for item in drawn:
            by_grade[item.grade] = by_grade.get(item.grade, 0) + 1
            picked[item.subject_id] = picked.get(item.subject_id, 0) + 1
            assert len(set(item.inspector_ids)) == 2
            for inspector in item.inspector_ids:
                inspector_load[inspector] = inspector_load.get(inspector, 0) + 1
        # The ratio of each grade, exactly, in every draw (100 subjects per grade).
        assert by_grade == {Grade.A: 3, Grade.B: 5, Grade.C: 10, Grade.D: 20}
    for grade, ratio in RATIOS.items():
        expected = draws * float(ratio)
        statistic = sum((picked.get(pk, 0) - expected) ** 2 / expected for pk in groups[grade])
        assert statistic < _chi_square_critical(len(groups[grade]) - 1), (grade, statistic)
    total = sum(inspector_load.values())
    expected = total / 8
    statistic = sum((inspector_load[i] - expected) ** 2 / expected for i in range(1, 9))
    assert statistic < _chi_square_critical(7), statistic


def test_the_same_seed_gives_the_same_draw_and_another_seed_another():
    groups = {Grade.A: list(range(1, 201)), Grade.B: [], Grade.C: [], Grade.D: [], "": []}
    ratios = {**RATIOS, "": Decimal("0")}
    first = inspections.run_draw("abc", groups, ratios, pool=[5, 6, 7], per_subject=2)
    assert inspections.run_draw("abc", groups, ratios, pool=[7, 6, 5], per_subject=2) == first
    assert inspections.run_draw("abd", groups, ratios, pool=[5, 6, 7], per_subject=2) != first


def test_the_population_survives_its_encoding():
    groups = {Grade.A: [1, 5, 900000], Grade.B: [], Grade.C: [3], Grade.D: [2, 4], "": [7]}
    assert inspections.decode_population(inspections.encode_population(groups)) == groups


pytestmark = pytest.mark.django_db


@pytest.fixture
def population(make_subject):
    """40 active enterprises in Chaoyang, 10 of each grade, as the grading job leaves them; and
    5 in Haidian that the task's filter leaves out."""
    subjects = {grade: [] for grade in RATIOS}
    now = timezone.now()
    rows = []
    system = grades.active_system()
    for grade in RATIOS:
        for index in range(10):
            subject = make_subject(f"朝阳{grade}级企业{index}", code=valid_code(division="110105"))
            subjects[grade].append(subject)
            rows.append(
                CreditGrade(
                    subject=subject, system=system, grade=grade, score=0, explanation=[], computed_at=now
                )
            )
    for index in range(5):
        make_subject(f"海淀企业{index}", code=valid_code(division="110108"))
    CreditGrade.objects.bulk_create(rows)
    return subjects


@pytest.fixture
def pool(department_a):
    return [
        Inspector.objects.create(department=department_a, name=f"检查员{i}", badge_number=f"1101{i:04d}")
        for i in range(1, 6)
    ]


@pytest.fixture
def task(department_a, regulator_a, pool):
    return inspections.create_task(
        department=department_a,
        actor=regulator_a,
        name="2026年度企业公示信息抽查",
        reference="京市监抽〔2026〕1号",
        legal_basis="《企业信息公示暂行条例》第十四条",
        inspectors=pool,
        district=District.CHAOYANG,
        ratio_a=Decimal("0.1"),
        ratio_b=Decimal("0.2"),
        ratio_c=Decimal("0.5"),
        ratio_d=Decimal("1"),
        ratio_ungraded=Decimal("0"),
    )


def test_a_draw_takes_each_grades_ratio_and_records_its_seed(task, population, regulator_a, pool):
    drawn = inspections.draw(task, actor=regulator_a)

    assert drawn.status == InspectionStatus.DRAWN and len(drawn.seed) == 32
    counts: dict[str, int] = {}
    for assignment in drawn.assignments.all():
        counts[assignment.grade] = counts.get(assignment.grade, 0) + 1
        inspectors = set(assignment.inspectors.all())
        assert len(inspectors) == 2 and inspectors <= set(pool)
    assert counts == {Grade.A: 1, Grade.B: 2, Grade.C: 5, Grade.D: 10}
    assert set(drawn.assignments.values_list("subject_id", flat=True)) <= {
        s.pk for g in population.values() for s in g
    }
    assert drawn.population_counts == {"A": 10, "B": 10, "C": 10, "D": 10, "none": 0}
    assert ledger_actions("sanctions.inspectiontask", task.pk) == [
        "sanctions.inspectiontask.created",
        "sanctions.inspectiontask.drawn",
    ]


def test_anyone_can_rerun_the_draw_and_get_the_same_list(task, population, regulator_a, capsys):
    drawn = inspections.draw(task, actor=regulator_a, seed="公开的种子")

    check = inspections.verify_draw(drawn)
    assert check.matches and check.population_unchanged_since, check.problems
    call_command("verify_inspection_draw", drawn.reference)
    assert "reproduces" in capsys.readouterr().out
    rerun = inspections.run_draw(
        drawn.seed,
        inspections.decode_population(drawn.population),
        drawn.ratios(),
        drawn.drawn_pool,
        drawn.inspectors_per_subject,
    )
    assert [item.subject_id for item in rerun] == list(
        drawn.assignments.order_by("position").values_list("subject_id", flat=True)
    )


def test_a_tampered_draw_is_detected(task, population, regulator_a):
    drawn = inspections.draw(task, actor=regulator_a)
    outsider = population[Grade.A][0].pk
    first = drawn.assignments.order_by("position").first()
    if first.subject_id == outsider:
        outsider = population[Grade.A][1].pk
    InspectionAssignment.objects.filter(pk=first.pk).update(subject_id=outsider)

    assert not inspections.verify_draw(drawn).matches
    with pytest.raises(CommandError, match="does not reproduce"):
        call_command("verify_inspection_draw", str(drawn.pk))
    with pytest.raises(CommandError, match="no inspection task"):
        call_command("verify_inspection_draw", "京市监抽〔1999〕1号")


def test_the_draw_needs_enough_inspectors_the_permission_and_the_department(
    task, population, regulator_a, regulator_b, pool
):
    with pytest.raises(PermissionDenied):
        inspections.draw(task, actor=regulator_b)
    Inspector.objects.filter(pk__in=[inspector.pk for inspector in pool[1:]]).update(is_active=False)
    with pytest.raises(ValidationError):
        inspections.draw(task, actor=regulator_a)
    task.refresh_from_db()
    assert task.status == InspectionStatus.DRAFT and not task.assignments.exists()


def test_results_are_published_as_public_spot_check_records(task, population, regulator_a, today):
    drawn = inspections.draw(task, actor=regulator_a)
    assignments = list(drawn.assignments.order_by("position"))
    for assignment in assignments:
        inspections.record_result(
            assignment, actor=regulator_a, outcome=InspectionOutcome.NO_PROBLEM, inspected_on=today
        )
    with pytest.raises(ValidationError):
        inspections.record_result(assignments[0], actor=regulator_a, outcome="")

    counts = inspections.publish_results(drawn, actor=regulator_a)

    assert counts == {"published": len(assignments), "not_yet_public": 0}
    drawn.refresh_from_db()
    assert drawn.status == InspectionStatus.COMPLETED
    record = InspectionAssignment.objects.get(pk=assignments[0].pk).record
    assert record.category == RecordCategory.SPOT_CHECK and record.status == RecordStatus.PUBLISHED
    assert record.document_number == "京市监抽〔2026〕1号-0001" and "未发现问题" in record.result
    assert CreditRecord.objects.public().filter(category=RecordCategory.SPOT_CHECK).count() == len(
        assignments
    )
    assert ledger_actions("sanctions.inspectionassignment", assignments[0].pk) == [
        "sanctions.inspectionassignment.result_recorded",
        "sanctions.inspectionassignment.published",
    ]


def test_regulators_draw_and_check_draws_in_the_admin(client, task, population, regulator_a, regulator_b):
    client.force_login(regulator_b)
    assert client.get(reverse("admin:sanctions_inspectiontask_draw", args=[task.pk])).status_code == 404
    client.force_login(regulator_a)
    response = client.post(
        reverse("admin:sanctions_inspectiontask_draw", args=[task.pk]), {"seed": "admin-seed"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.seed == "admin-seed" and task.assignments.count() == 18
    response = client.post(
        reverse("admin:sanctions_inspectiontask_verify", args=[task.pk]), {"confirm": "on"}
    )
    assert response.status_code == 302
    page = client.get(reverse("admin:sanctions_inspectiontask_change", args=[task.pk]))
    assert page.status_code == 200 and "admin-seed" in page.content.decode()


def test_regulators_create_a_task_in_the_admin_and_change_its_pool(client, regulator_a, department_a, pool):
    client.force_login(regulator_a)
    data = {
        "department": department_a.pk,
        "name": "食品经营者抽查",
        "reference": "京市监抽〔2026〕9号",
        "legal_basis": "《食品安全法》第一百一十条",
        "district": "",
        "subject_type": "",
        "industry_contains": "餐饮",
        "ratio_a": "0.03",
        "ratio_b": "0.05",
        "ratio_c": "0.10",
        "ratio_d": "0.20",
        "ratio_ungraded": "0.05",
        "inspectors_per_subject": "2",
        "inspectors": [inspector.pk for inspector in pool[:3]],
    }
    response = client.post(reverse("admin:sanctions_inspectiontask_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    task = InspectionTask.objects.get(reference="京市监抽〔2026〕9号")
    assert set(task.inspectors.all()) == set(pool[:3]) and task.created_by == regulator_a

    data["inspectors"] = [inspector.pk for inspector in pool]
    data.update(
        {
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        }
    )
    response = client.post(reverse("admin:sanctions_inspectiontask_change", args=[task.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert task.inspectors.count() == len(pool)
    assert ledger_actions("sanctions.inspectiontask", task.pk) == [
        "sanctions.inspectiontask.created",
        "sanctions.inspectiontask.updated",
    ]
