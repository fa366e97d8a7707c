"""Penalty types in the admin are ticked by their Chinese names (罚款, 警告), not typed as internal
keys: a regulator who types 罚款 into a text box and is refused has no way to guess ``fine``."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from registry.choices import PenaltyType
from registry.models import CreditRecord
from tests.registry.test_department_scoping import _form_data

pytestmark = pytest.mark.django_db
ADD = reverse("admin:registry_creditrecord_add")
CHECKBOX = re.compile(
    r'<label[^>]*>\s*<input type="checkbox" name="penalty_types" value="(?P<value>[^"]+)"'
    r"(?P<attrs>[^>]*)>\s*(?P<label>[^<]+?)\s*</label>"
)


def _checkboxes(html: str) -> dict[str, tuple[str, bool]]:
    """Penalty-type checkboxes of an admin form: label -> (submitted value, ticked)."""
    return {m["label"]: (m["value"], "checked" in m["attrs"]) for m in CHECKBOX.finditer(html)}


def test_a_regulator_ticks_fine_and_warning_by_their_chinese_names(
    client, regulator_a, subject, department_a
):
    client.force_login(regulator_a)
    boxes = _checkboxes(client.get(ADD).content.decode())
    assert {"警告", "通报批评", "罚款"} <= set(boxes) and len(boxes) == len(PenaltyType.choices)

    response = client.post(
        ADD, _form_data(subject, department_a, penalty_types=[boxes["罚款"][0], boxes["警告"][0]])
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    record = CreditRecord.objects.get(document_number="京市监罚〔2026〕77号")
    assert record.penalty_types == ["fine", "warning"]


def test_the_change_page_shows_the_stored_types_ticked_with_their_labels(
    client, regulator_a, subject, department_a, make_record
):
    record = make_record(subject, department_a, penalty_types=["fine", "warning"])
    client.force_login(regulator_a)

    page = client.get(reverse("admin:registry_creditrecord_change", args=[record.pk])).content.decode()

    boxes = _checkboxes(page)
    assert boxes["罚款"] == ("fine", True)
    assert boxes["警告"] == ("warning", True)
    assert boxes["通报批评"] == ("criticism", False)
    assert 'name="penalty_types" value="fine"' in page and 'type="text" name="penalty_types"' not in page


def test_an_unknown_penalty_type_is_refused_in_chinese(client, regulator_a, subject, department_a):
    client.force_login(regulator_a)

    response = client.post(ADD, _form_data(subject, department_a, penalty_types=["罚款"]))

    assert response.status_code == 200  # the form again, with the error
    assert not CreditRecord.objects.filter(document_number="京市监罚〔2026〕77号").exists()
    errors = response.context["adminform"].form.errors["penalty_types"]
    assert errors and all(re.search(r"[\u4e00-\u9fff]", error) for error in errors), errors
    assert "罚款" in errors[0]  # names what was refused
    assert "Select a valid choice" not in response.content.decode()


def test_ticking_the_same_type_twice_stores_it_once(client, regulator_a, subject, department_a):
    client.force_login(regulator_a)

    client.post(ADD, _form_data(subject, department_a, penalty_types=["fine", "fine", "confiscation"]))

    record = CreditRecord.objects.get(document_number="京市监罚〔2026〕77号")
    assert record.penalty_types == ["fine", "confiscation"]
