"""Fixtures of objections and credit repair: a company with a bound account (the enterprise
portal's fixtures), a general penalty of department A on it, published on 1 June 2026 (public,
repairable from 2026-09-02 under the 2026 rules), and helpers to file and to move objections."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from core.uploads import check_upload
from objections.choices import FilerKind
from objections.services import objections as objection_services
from objections.services import repairs as repair_services
from tests.base import clear_cache
from tests.enterprises.conftest import (  # noqa: F401  (fixtures shared with the portal's tests)
    PDF,
    PNG,
    account,
    bind,
    chaoyang_market,
    chaoyang_regulator,
    haidian_market,
    haidian_regulator,
    owner,
    private_media,
    rival,
    rival_owner,
    upload,
)
from tests.enterprises.conftest import company as company  # noqa: PLC0414


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are matched in English (Chinese stays the default of the pages)."""


@pytest.fixture(autouse=True)
def clean_cache():
    """Each test starts with an empty cache of its own (rate limits, cached pages): only this
    worker's keys are deleted, never the Redis database the other test workers use too."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def penalty(company, department_a, make_record, publish):
    """A published general penalty of department A, decided 2026-06-01 (repair from 2026-09-02)."""
    return publish(make_record(company, department_a, amount="5000.00", case_name="未按规定公示年度报告案"))


@pytest.fixture
def file_objection():
    """file_objection(record, **fields) -> (objection, token): filed by a member of the public."""

    def make(record, **fields):
        values = {
            "actor": AnonymousUser(),
            "filer_kind": FilerKind.PUBLIC,
            "name": "张三",
            "email": "zhangsan@example.com",
            "phone": "13800000000",
            "reason": "处罚金额与决定书不符。",
            **fields,
        }
        return objection_services.file_objection(record, **values)

    return make


@pytest.fixture
def objection(file_objection, penalty):
    return file_objection(penalty)[0]


@pytest.fixture
def accepted(objection, platform_admin):
    return objection_services.accept_objection(objection, actor=platform_admin)


@pytest.fixture
def forwarded(accepted, platform_admin):
    return objection_services.forward_objection(accepted, actor=platform_admin)


@pytest.fixture
def proof():
    return [check_upload(upload("缴款凭证.pdf"))]


@pytest.fixture
def apply_for_repair(owner, proof):  # noqa: F811
    """apply_for_repair(record, **fields) -> (application, token), by the company's bound owner."""

    def make(record, **fields):
        values = {
            "actor": owner,
            "statement": "罚款已于2026年6月10日缴清，已整改。",
            "attachments": proof,
            "commitment_accepted": True,
            **fields,
        }
        return repair_services.apply_for_repair(record, **values)

    return make
