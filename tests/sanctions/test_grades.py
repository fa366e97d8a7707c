"""Credit grades A/B/C/D from the indicator system in force: an explanation that adds up to the
score, history kept, recomputed when records change (the ledger consumer) and nightly, visible to
regulators and the subject's own enterprise account, never public."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from registry.choices import RecordCategory, Severity
from sanctions.choices import Grade, IndicatorKind, ListKind, SystemStatus
from sanctions.models import CreditGrade, IndicatorSystem
from sanctions.services import grades
from tests.sanctions.conftest import ledger_actions


@dataclass
class FakeIndicator:
    code: str
    name: str
    kind: str
    weight: Decimal
    cap: int | None


weights = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False, allow_infinity=False)
indicators = st.lists(
    st.builds(
        FakeIndicator,
        code=st.text("abcdefghij", min_size=1, max_size=6),
        name=st.just("x"),
        kind=st.sampled_from(IndicatorKind.values),
        weight=weights,
        cap=st.one_of(st.none(), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda indicator: indicator.code,
)


@given(indicators, st.data())
def test_every_explanation_adds_up_to_its_score(chosen, data):
    values = {indicator.code: data.draw(st.integers(min_value=0, max_value=50)) for indicator in chosen}

    lines, score = grades.explain(chosen, values)

    assert sum(line.contribution for line in lines) == score
    assert [line.code for line in lines] == [indicator.code for indicator in chosen]
    for line, indicator in zip(lines, chosen, strict=True):
        assert line.value == values[indicator.code]
        assert line.counted == (line.value if indicator.cap is None else min(line.value, indicator.cap))
        assert line.contribution == (indicator.weight * line.counted).quantize(Decimal("0.01"))


@given(st.decimals(min_value=-500, max_value=500, places=2, allow_nan=False, allow_infinity=False))
def test_grades_fall_with_the_score_at_the_thresholds(score):
    system = IndicatorSystem(threshold_a=Decimal("105"), threshold_b=Decimal("95"), threshold_c=Decimal("70"))
    grade = system.grade_for(score)
    expected = Grade.A if score >= 105 else Grade.B if score >= 95 else Grade.C if score >= 70 else Grade.D
    assert grade == expected


pytestmark = pytest.mark.django_db


def test_a_clean_established_subject_with_licences_is_graded_a_and_explained(
    make_subject, make_record, publish, department_a, graded
):
    subject = make_subject(established_on=dt.date(2015, 3, 1))
    for _index in range(5):
        publish(
            make_record(
                subject, department_a, category=RecordCategory.LICENCE, decision_date=dt.date(2026, 9, 1)
            )
        )

    assert graded(subject) == {subject.pk: Grade.A}
    grade = grades.current_grade(subject)
    lines = {line["code"]: line for line in grade.explanation}
    assert lines["base"]["contribution"] == "100.00"
    assert lines["licences"]["value"] == 5 and lines["licences"]["contribution"] == "5.00"
    assert lines["years"]["value"] == 11 and lines["years"]["counted"] == 5
    assert (
        sum(Decimal(line["contribution"]) for line in grade.explanation) == grade.score == Decimal("110.00")
    )
    assert ledger_actions("sanctions.creditgrade", grade.pk) == ["sanctions.creditgrade.computed"]


def test_penalties_and_lists_lower_the_grade(make_subject, penalty, list_on, graded):
    subject = make_subject()
    penalty(subject)
    assert graded(subject)[subject.pk] == Grade.B  # 100 - 5
    penalty(subject, severity=Severity.SERIOUS)
    assert graded(subject)[subject.pk] == Grade.C  # 100 - 5 - 20
    list_on(subject, ListKind.SERIOUS_DISHONESTY)
    assert graded(subject)[subject.pk] == Grade.D  # - 40


def test_history_is_kept_and_only_changes_make_rows(make_subject, penalty, graded):
    subject = make_subject()
    graded(subject)
    graded(subject)
    assert CreditGrade.objects.filter(subject=subject).count() == 1
    penalty(subject)
    graded(subject)
    history = list(CreditGrade.objects.filter(subject=subject).order_by("computed_at", "id"))
    assert [row.grade for row in history] == [Grade.B, Grade.B] and [row.score for row in history] == [
        Decimal("100.00"),
        Decimal("95.00"),
    ]
    assert [row.is_current for row in history] == [False, True]


def test_a_published_penalty_regrades_its_subject_through_the_ledger(make_subject, penalty, graded, drain):
    subject = make_subject()
    graded(subject)
    drain()
    penalty(subject, severity=Severity.SERIOUS)

    counts = drain()

    assert counts["grades_changed"] >= 1
    assert grades.current_grade(subject).score == Decimal("80.00")


def test_the_nightly_recomputation_covers_every_subject(make_subject):
    subjects = [make_subject(f"夜间评级{i}") for i in range(5)]
    counts = grades.recompute_grades(batch_size=2)
    assert counts == {"examined": 5, "changed": 5}
    assert set(grades.current_grades([s.pk for s in subjects]).values()) == {Grade.B}


def test_the_enterprise_account_sees_its_own_grade_only(make_subject, enterprise_user, subject, graded):
    other = make_subject("北京别家有限公司")
    graded(subject, other)

    view = grades.grade_for_enterprise(enterprise_user)

    assert view.subject_code == subject.code and view.grade == Grade.B
    assert sum(Decimal(line["contribution"]) for line in view.lines) == view.score
    unbound = User.objects.create_user("unbound")
    assert grades.grade_for_enterprise(unbound) is None


def test_grades_are_never_public(client, api_client_all, subject, graded):
    graded(subject)
    page = client.get(reverse("disclosure:subject", args=[subject.code])).content.decode()
    assert "基础分" not in page and "credit grade" not in page.lower() and "信用等级" not in page
    data = api_client_all.get(f"/api/v1/subjects/{subject.code}").json()
    assert "grade" not in data and "score" not in data


def test_regulators_see_grades_with_their_explanation_in_the_admin(client, regulator_a, subject, graded):
    graded(subject)
    grade = grades.current_grade(subject)
    client.force_login(regulator_a)
    page = client.get(reverse("admin:sanctions_creditgrade_change", args=[grade.pk]))
    assert page.status_code == 200 and "基础分" in page.content.decode()


def test_a_new_version_is_drafted_and_put_in_force_retiring_the_old(subject, platform_admin, graded):
    graded(subject)
    current = grades.active_system()
    draft = grades.copy_as_draft(current, actor=platform_admin)
    assert draft.version == current.version + 1 and draft.indicators.count() == current.indicators.count()
    draft.indicators.filter(code="base").update(weight=Decimal("110"))

    grades.put_in_force(draft, actor=platform_admin)
    graded(subject)

    current.refresh_from_db()
    assert current.status == SystemStatus.RETIRED and grades.active_system() == draft
    assert grades.current_grade(subject).system == draft and grades.current_grade(subject).grade == Grade.A
    assert ledger_actions("sanctions.indicatorsystem", draft.pk) == [
        "sanctions.indicatorsystem.drafted",
        "sanctions.indicatorsystem.activated",
    ]
    with pytest.raises(ValidationError):
        grades.put_in_force(current, actor=platform_admin)


@pytest.fixture
def api_client_all(make_key, client_for):
    _key, raw = make_key()
    return client_for(raw)
