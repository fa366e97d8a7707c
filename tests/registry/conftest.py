"""Fixtures of the registry tests: departments that carry their credit code (national imports)."""

import pytest

from tests.registry.import_kit import AUTHORITY_A, AUTHORITY_B


@pytest.fixture
def national_a(department_a):
    """Department A with its own credit code, as the national templates name it."""
    department_a.credit_code = AUTHORITY_A
    department_a.save(update_fields=["credit_code"])
    return department_a


@pytest.fixture
def national_b(department_b):
    department_b.credit_code = AUTHORITY_B
    department_b.save(update_fields=["credit_code"])
    return department_b
