"""API personas: an agency and keys with chosen scopes (the "third-party API key" persona)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import Scope
from accounts.models import Agency, ApiKey

ALL_SCOPES = list(Scope.values)


@pytest.fixture
def agency(db):
    return Agency.objects.create(
        name="北京征信有限公司", contact_name="王经理", contact_email="api@example.com"
    )


@pytest.fixture
def make_key(agency):
    """make_key(scopes=[...], **fields) -> (ApiKey, raw key)."""

    def make(scopes=None, **fields):
        key = ApiKey(
            agency=fields.pop("agency", agency), name="test", scopes=ALL_SCOPES if scopes is None else scopes
        )
        for name, value in fields.items():
            setattr(key, name, value)
        raw = key.assign_new_key()
        key.save()
        return key, raw

    return make


@pytest.fixture
def api(make_key):
    """An APIClient authenticated with a key holding every scope."""
    _key, raw = make_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def client_for():
    def make(raw: str | None, scheme: str = "Api-Key") -> APIClient:
        client = APIClient()
        if raw is not None:
            client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
        return client

    return make


@pytest.fixture
def expired_time():
    return timezone.now() - dt.timedelta(minutes=1)
