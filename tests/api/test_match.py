"""POST /api/v1/match: ranked candidates with scores and the reasons for each score."""

from __future__ import annotations

import pytest

from registry.api.matching import similarity


@pytest.fixture
def subjects(make_subject):
    huawei = make_subject(name="北京华为科技有限公司")
    huawei_like = make_subject(name="北京华为技术服务有限公司")
    other = make_subject(name="北京小米科技有限责任公司")
    return huawei, huawei_like, other


def _match(api, *queries, **options):
    response = api.post("/api/v1/match", {"queries": list(queries), **options}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _features(candidate) -> set[str]:
    return {reason["feature"] for reason in candidate["reasons"]}


def test_an_exact_code_is_a_confident_match_with_its_reason(api, subjects):
    huawei, _like, _other = subjects
    [result] = _match(api, {"name": "", "code": huawei.code.lower()})
    top = result["candidates"][0]
    assert top["subject"]["code"] == huawei.code
    assert top["score"] == 1.0 and top["match"] is True
    assert "exact_code" in _features(top)


def test_the_equal_normalised_name_ranks_first_then_similar_names(api, subjects):
    huawei, like, other = subjects
    [result] = _match(api, {"name": "北京 华为科技（有限公司）"}, threshold=0.1)
    codes = [c["subject"]["code"] for c in result["candidates"]]
    assert codes[0] == huawei.code
    assert result["candidates"][0]["reasons"][0]["feature"] == "name_equal"
    assert like.code in codes
    assert codes.index(like.code) < codes.index(other.code) if other.code in codes else True
    scores = [c["score"] for c in result["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_the_district_adjusts_the_score(api, subjects):
    huawei, _like, _other = subjects  # division 110105 (Chaoyang)
    [same] = _match(api, {"name": "北京华为科技有限公司", "district": "110105"})
    [different] = _match(api, {"name": "北京华为科技有限公司", "district": "110108"})
    assert same["candidates"][0]["score"] > different["candidates"][0]["score"]
    assert "district" in _features(different["candidates"][0])


def test_a_batch_of_up_to_100_queries_is_answered_in_order(api, subjects):
    huawei, _like, other = subjects
    results = _match(api, {"name": huawei.name}, {"name": other.name}, {"name": "完全无关的名字"})
    assert [r["candidates"][0]["subject"]["code"] if r["candidates"] else None for r in results] == [
        huawei.code,
        other.code,
        None,
    ]
    too_many = api.post("/api/v1/match", {"queries": [{"name": "华为"}] * 101}, format="json")
    assert too_many.status_code == 400 and too_many.json()["code"] == "invalid_request"
    empty = api.post("/api/v1/match", {"queries": [{"name": ""}]}, format="json")
    assert empty.status_code == 400


def test_similarity_is_symmetric_and_one_for_equal_names():
    assert similarity("华为科技", "华为科技") == 1.0
    assert similarity("华为", "小米") == 0.0
    assert similarity("华为技术", "华为科技") == similarity("华为科技", "华为技术")
