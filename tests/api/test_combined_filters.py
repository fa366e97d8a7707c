"""Name search combined with every subjects filter (schemathesis found a 500 once a ranked search
met the filters that plan from the records' index)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params",
    [
        "q=00&category=business_abnormality&has_dishonesty=true",
        "q=00&category=business_abnormality",
        "q=00&has_dishonesty=true",
        "q=华为&category=penalty&has_dishonesty=false",
        "category=business_abnormality&district=110101&has_dishonesty=true&limit=20&offset=0&q=00"
        "&type=enterprise&updated_since=2000-01-01T00%3A00%3A00Z",
    ],
)
def test_a_name_search_with_record_filters_answers(api, make_subject, params):
    make_subject("北京华为00科技有限公司")
    response = api.get(f"/api/v1/subjects?{params}")
    assert response.status_code == 200, response.content[:500]
    assert "results" in response.json()
