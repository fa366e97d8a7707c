"""Every public field of a subject or record can be filtered on, or is listed here with a reason
why not (as NetBox does): a new model field fails this test until someone decides."""

import pytest
from django.http import QueryDict

from registry.choices import PenaltyType, Sector
from registry.filtersets import CreditRecordFilterSet, SubjectFilterSet
from registry.models import CreditRecord, Subject
from tests.base import valid_code

# Fields without a filter of their own, and why.
SUBJECT_UNFILTERED = {
    "id": "internal key",
    "code": "retrieve by code, or q",
    "registration_number": "retrieve by number, or q",
    "name": "q (name search through the gram index)",
    "code_check_failure": "internal",
    "code_override_reason": "internal",
    "subject_type": "filtered as type",
    "category_code": "type covers it",
    "division_code": "district covers it",
    "legal_representative": "personal data is not a search key",
    "legal_representative_id_cipher": "personal data, encrypted",
    "legal_representative_id_index": "personal data, never exposed",
    "registered_address": "personal data for individual businesses",
    "industry": "free text",
    "registered_capital": "not asked for yet",
    "established_on": "not asked for yet",
    "status": "not asked for yet",
    "search_text": "q",
    "search_grams": "q",
    "created_at": "updated_since covers changes",
    "updated_at": "filtered as updated_since",
}
RECORD_UNFILTERED = {
    "id": "internal key",
    "subject": "filtered as subject (code or registration number)",
    "case_name": "free text",
    "facts": "free text",
    "legal_basis": "free text",
    "result": "free text",
    "amount": "not asked for yet",
    "valid_until": "not asked for yet",
    "withheld_reason": "withheld records are never public",
    "status": "only published records are public",
    "published_at": "filtered as published_since",
    "created_by": "internal",
    "created_at": "internal",
    "updated_at": "the change feed serves changes",
    "penalty_types": "filtered as penalty_type",
    "department": "filtered as department (code)",
    "rule_set": "internal",
    "publication_deadline": "regulators' concern (overdue-publications)",
    "deadline_provisional": "regulators' concern (filtered in the admin)",
    "publish_from": "internal",
    "publish_until": "publicity dates are shown, not searched",
    "repair_eligible_from": "not asked for yet",
    "publication_exemption": "exempt records are never public",
    "repair_approved_at": "repaired records are never public",
    "disputed": "served as is_disputed; not asked for yet",
    "version": "the change feed serves corrections",
    "import_batch": "regulators' provenance (the admin's imports), not public",
    "import_line": "regulators' provenance, not public",
    "template_fields": "national-template columns kept for the export, never public",
    "subject_district": "the district filter reads it (the subject's district, copied)",
    "subject_code": "the subjects' category filter reads it (the subject's code, copied)",
}


@pytest.mark.parametrize(
    ("model", "filterset", "unfiltered"),
    [
        (Subject, SubjectFilterSet, SUBJECT_UNFILTERED),
        (CreditRecord, CreditRecordFilterSet, RECORD_UNFILTERED),
    ],
)
def test_every_model_field_has_a_filter_or_a_stated_reason(model, filterset, unfiltered):
    filters = set(filterset.base_filters)
    undecided = [
        field.name
        for field in model._meta.concrete_fields
        if field.name not in filters and field.name not in unfiltered
    ]
    assert not undecided, f"{model.__name__}: add a filter or a reason for {undecided}"


def test_records_filter_by_sector_penalty_type_and_document_number(
    api, make_subject, make_record, department_a, publish
):
    subject = make_subject()
    food = publish(make_record(subject, department_a, sector=Sector.FOOD, penalty_types=[PenaltyType.FINE]))
    publish(make_record(subject, department_a, penalty_types=[PenaltyType.CONFISCATION]))

    def ids(params):
        response = api.get("/api/v1/records", params)
        assert response.status_code == 200, response.content[:300]
        return [row["id"] for row in response.json()["results"]]

    assert ids({"sector": "food"}) == [str(food.pk)]
    assert ids({"penalty_type": "fine"}) == [str(food.pk)]
    assert ids({"document_number": food.document_number}) == [str(food.pk)]
    assert api.get("/api/v1/records", {"sector": "space"}).status_code == 400


@pytest.mark.django_db
def test_filtersets_made_for_different_requests_keep_their_own_filters_and_forms(make_subject):
    """Each request's filterset shares its declared filters and form class with the others
    (registry/filtersets.py ``StrictFilterSet``) but not their state: two made one after the
    other and evaluated in the other order each answer their own parameters and errors."""
    tech = make_subject(name="北京并行科技有限公司")
    food = make_subject(name="北京并行餐饮店", code=valid_code(category="92"))
    assert food.subject_type == "individual_business"
    first = SubjectFilterSet(QueryDict("q=并行科技"), queryset=Subject.objects.all())
    second = SubjectFilterSet(QueryDict("q=并行&type=individual_business"), queryset=Subject.objects.all())
    broken = SubjectFilterSet(QueryDict("q=x"), queryset=Subject.objects.all())
    assert second.is_valid() and list(second.qs.values_list("code", flat=True)) == [food.code]
    assert first.is_valid() and list(first.qs.values_list("code", flat=True)) == [tech.code]
    assert not broken.is_valid() and set(broken.form.errors) == {"q"}
    assert first.form.errors == {} and second.form.errors == {}
    assert first.filters["q"].parent is first and second.filters["q"].parent is second
    # Each form has its own fields and widgets (registry/filtersets.py ``_FieldTemplates``): what
    # one request's form sets on them is not seen by the next.
    one, two = first.form, second.form
    for name, field in one.fields.items():
        assert field is not two.fields[name] and field.widget is not two.fields[name].widget
    one.fields["type"].widget.attrs["data-mark"] = "first"
    one.fields["type"].required = True
    later = SubjectFilterSet(QueryDict("q=并行"), queryset=Subject.objects.all())
    assert (
        "data-mark" not in later.form.fields["type"].widget.attrs and not later.form.fields["type"].required
    )
    assert later.is_valid() and list(later.form.fields["type"].choices) == list(two.fields["type"].choices)
