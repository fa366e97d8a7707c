"""Fixtures of the enterprise portal: two market-regulation departments with their regulators, two
companies registered with them, accounts bound to each, uploads, and an agency with its key."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.choices import Scope
from accounts.models import Agency, ApiKey, User
from accounts.roles import REGULATOR
from core.uploads import check_upload
from enterprises.choices import BindingRole
from enterprises.services import bindings
from registry.choices import DepartmentLevel, District
from registry.models import Department
from tests.base import clear_cache, valid_code

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Uploads go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def clean_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def haidian_market(db):
    return Department.objects.create(
        code="haidian-market-regulation",
        name="北京市海淀区市场监督管理局",
        level=DepartmentLevel.DISTRICT,
        district=District.HAIDIAN,
        market_regulation=True,
    )


@pytest.fixture
def chaoyang_market(db):
    return Department.objects.create(
        code="chaoyang-market-regulation",
        name="北京市朝阳区市场监督管理局",
        level=DepartmentLevel.DISTRICT,
        district=District.CHAOYANG,
        market_regulation=True,
    )


def _regulator(username: str, department: Department) -> User:
    user = User.objects.create_user(username=username, password="pw", is_staff=True, department=department)
    user.groups.add(Group.objects.get(name=REGULATOR))
    return user


@pytest.fixture
def haidian_regulator(haidian_market):
    return _regulator("reg-haidian", haidian_market)


@pytest.fixture
def chaoyang_regulator(chaoyang_market):
    return _regulator("reg-chaoyang", chaoyang_market)


@pytest.fixture
def company(make_subject, haidian_market):
    return make_subject(
        "北京海淀示范科技有限公司",
        code=valid_code(division="110108"),
        legal_representative="李四",
        established_on=dt.date(2020, 3, 1),
    )


@pytest.fixture
def rival(make_subject, chaoyang_market):
    return make_subject(
        "北京朝阳对手贸易有限公司", code=valid_code(division="110105"), established_on=dt.date(2019, 5, 1)
    )


@pytest.fixture
def account(db):
    """make(email) -> an active account with a verified e-mail address (as after sign-up)."""

    def make(email: str) -> User:
        user = User.objects.create_user(username=email, email=email, password="pw-" + email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


def upload(name: str = "授权书.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type)


@pytest.fixture
def bind(db):
    """bind(user, subject, regulator, role) -> an approved binding (through the services)."""

    def make(user, subject, regulator, role=BindingRole.LEGAL_REPRESENTATIVE):
        binding = bindings.request_binding(
            user=user, code=subject.code, role=role, letter=check_upload(upload())
        )
        return bindings.decide_binding(binding, actor=regulator, approve=True)

    return make


@pytest.fixture
def owner(account, bind, company, haidian_regulator):
    """The company's legal representative's account, bound."""
    user = account("owner@haidian.example")
    bind(user, company, haidian_regulator)
    return user


@pytest.fixture
def rival_owner(account, bind, rival, chaoyang_regulator):
    user = account("owner@chaoyang.example")
    bind(user, rival, chaoyang_regulator)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def agency(db):
    return Agency.objects.create(
        name="北京征信有限公司", contact_name="王经理", contact_email="api@example.com"
    )


@pytest.fixture
def other_agency(db):
    return Agency.objects.create(
        name="上海资信有限公司", contact_name="赵经理", contact_email="api@sh.example"
    )


@pytest.fixture
def agency_client():
    """agency_client(agency, scopes) -> an APIClient with a fresh key of the agency."""

    def make(
        agency: Agency, scopes=(Scope.CONSENTED_READ, Scope.SUBJECTS_READ, Scope.RECORDS_READ)
    ) -> APIClient:
        key = ApiKey(agency=agency, name="test", scopes=list(scopes))
        raw = key.assign_new_key()
        key.save()
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        api.key = key
        return api

    return make
