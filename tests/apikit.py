"""Generic API tests, declared per resource in a few lines (the idea of NetBox's
``utilities/testing/api.py``, as pytest classes with fixtures).

    class TestSubjectAPI(APIViewTestCases.ReadOnly, APIViewTestCases.Filters):
        list_url = "api:subject-list"           # URL names only, never view modules
        detail_url = "api:subject-detail"
        scope = Scope.SUBJECTS_READ             # None: any valid key
        id_field = "code"                       # the item key that identifies an object ...
        fields = {"code", "name", ...}          # ... and every key of an item, exactly
        ordering = ("code",)                    # the list's order, as the model's order_by
        filters = {"district=110105": lambda subject: subject.district == "110105"}

        @pytest.fixture
        def make_object(self, make_subject):    # object number i; vary what the filters split
            return lambda i: make_subject(...)

        def key(self, subject):                 # the object's value of id_field (default str(pk))
            return subject.code

        def detail_kwargs(self, subject):       # default {"pk": obj.pk}
            return {"code": subject.code}

Mixins, to combine: ``Access`` (no key, a revoked or an expired key: 401; a key without the scope:
403; with it: 200; errors in the JSON shape ``{"code", "message"}``), ``QueryCount`` (the list
costs as many queries for many objects as for one), ``List`` (representation, order, paging),
``Filters`` (one test per declared filter), ``Retrieve`` (the list's representation; a JSON 404 for
an unknown object), ``Create``, ``Update`` and ``Delete`` (each change answered, visible through
the API and written to the ledger; refused without the scope), and ``ReadOnly`` = Access + List +
Retrieve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.base import ALL_SCOPES, API_PERSONAS, LedgerEntry, api_client

ERROR_KEYS = {"code", "message", "details"}
QUOTA = {"per_minute": 100_000, "per_day": 1_000_000}  # the tests' own requests never hit a quota


def assert_json_error(response, status: int, code: str) -> dict:
    """``response`` answers ``status`` with the API's error body ``{"code", "message"[, "details"]}``."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body.get("code") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert set(body) <= ERROR_KEYS, body
    return body


def ledger_entries(action: str, object_id: str) -> int:
    return LedgerEntry.objects.filter(action=action, object_id=object_id).count()


class APIViewTestCases:
    """Namespace of the mixins (not collected: its name does not start with Test)."""

    class Base:
        list_url: ClassVar[str]
        detail_url: ClassVar[str | None] = None
        scope: ClassVar[str | None]
        id_field: ClassVar[str] = "id"
        fields: ClassVar[set[str]] = set()
        ordering: ClassVar[tuple[str, ...]] = ("pk",)
        n_objects: ClassVar[int] = 4

        def key(self, obj) -> Any:
            return str(obj.pk)

        def list_kwargs(self, objects: list) -> dict:
            """URL kwargs of the list (a nested list names its parent, e.g. from objects[0])."""
            return {}

        def detail_kwargs(self, obj) -> dict:
            return {"pk": obj.pk}

        def items(self, body: dict) -> list[dict]:
            """The objects of one answer."""
            return body["results"]

        def expected(self, objects: list) -> QuerySet:
            """What the list should hold, as a queryset (``ordering`` is applied to it)."""
            model = type(objects[0])
            return model._default_manager.filter(pk__in=[obj.pk for obj in objects])

        @pytest.fixture(autouse=True)
        def _database(self, db) -> None:
            """Every generic test uses the database (rolled back after each test)."""

        @pytest.fixture
        def make_object(self) -> Callable[[int], Any]:
            raise NotImplementedError("declare a make_object fixture: i -> a new object of the resource")

        @pytest.fixture
        def objects(self, make_object) -> list:
            return [make_object(i) for i in range(self.n_objects)]

        @pytest.fixture
        def resource_api(self, make_key) -> APIClient:
            """An APIClient whose key holds exactly the resource's scope."""
            return api_client(make_key(self.own_scopes(), **QUOTA)[1])

        def own_scopes(self) -> list[str]:
            return [self.scope] if self.scope else []

        def path(self, objects: list) -> str:
            return reverse(self.list_url, kwargs=self.list_kwargs(objects))

        def detail_path(self, obj) -> str:
            return reverse(self.detail_url, kwargs=self.detail_kwargs(obj))

        def get_items(self, api: APIClient, path: str, query: str = "limit=100") -> list[dict]:
            response = api.get(f"{path}?{query}")
            assert response.status_code == 200, (path, query, response.content[:300])
            return self.items(response.json())

        def ids(self, items: list[dict]) -> list:
            return [item[self.id_field] for item in items]

        def expected_ids(self, objects: list) -> list:
            return [self.key(obj) for obj in self.expected(objects).order_by(*self.ordering)]

    class Access(Base):
        """Authentication and scope on the list (and the detail of one object)."""

        def access_paths(self, objects: list) -> list[str]:
            paths = [self.path(objects)]
            if self.detail_url:
                paths.append(self.detail_path(objects[0]))
            return paths

        def test_without_a_key_it_answers_401_in_json(self, objects):
            for path in self.access_paths(objects):
                response = api_client(None).get(path)
                assert_json_error(response, 401, "not_authenticated")
                assert response["WWW-Authenticate"].startswith("Api-Key"), path

        def test_a_key_needs_the_declared_scope(self, objects, make_key):
            others = [scope for scope in ALL_SCOPES if scope != self.scope]
            for path in self.access_paths(objects):
                if self.scope:
                    refused = api_client(make_key(others)[1]).get(path)
                    assert self.scope in assert_json_error(refused, 403, "scope_missing")["message"]
                assert api_client(make_key(self.own_scopes())[1]).get(path).status_code == 200, path

        def test_a_revoked_or_expired_key_answers_401_in_json(self, objects, make_key):
            revoked = api_client(make_key(**API_PERSONAS["revoked_key"])[1])
            expired = api_client(make_key(**API_PERSONAS["expired_key"])[1])
            for path in self.access_paths(objects):
                assert_json_error(revoked.get(path), 401, "key_revoked")
                assert_json_error(expired.get(path), 401, "key_expired")

    class QueryCount(Base):
        """N+1 guard: the list costs the same number of queries for 1 object as for many."""

        more: ClassVar[int] = 5
        # Enough room for every object on one page; {} for an endpoint that does not page (the API
        # refuses a parameter an endpoint does not know).
        page_params: ClassVar[dict[str, int]] = {"limit": 100}

        def count_queries(self, api: APIClient, path: str) -> tuple[int, int]:
            with CaptureQueriesContext(connection) as queries:
                response = api.get(path, self.page_params)
            assert response.status_code == 200, response.content[:300]
            return len(queries), len(self.items(response.json()))

        def test_the_list_costs_as_many_queries_for_many_objects_as_for_one(self, make_object, resource_api):
            first = [make_object(0)]
            path = self.path(first)
            resource_api.get(path)  # what a process loads once (content types, translations)
            one, few_items = self.count_queries(resource_api, path)
            for i in range(1, 1 + self.more):
                make_object(i)
            many, many_items = self.count_queries(resource_api, path)
            assert 0 < few_items < many_items
            assert many == one, f"{path}: {one} queries for {few_items} items but {many} for {many_items}"

    class List(QueryCount):
        """The list answers 200 with the declared representation, in the declared order, and
        paging through it keeps that order."""

        def represent(self, obj) -> dict:
            """Values the item of ``obj`` must carry (besides its id)."""
            return {}

        def test_the_list_answers_200_with_the_declared_representation(self, objects, resource_api):
            expected = self.expected_ids(objects)
            items = self.get_items(resource_api, self.path(objects))
            assert self.ids(items) == expected
            for item in items:
                assert set(item) == set(self.fields), sorted(set(item) ^ set(self.fields))
            listed = {item[self.id_field]: item for item in items}
            for obj in objects:
                wanted = {self.id_field: self.key(obj), **self.represent(obj)}
                assert {name: listed[self.key(obj)][name] for name in wanted} == wanted

        def test_paging_through_the_list_keeps_the_declared_order(self, objects, resource_api):
            path, offset = self.path(objects), 0
            while True:
                expected = self.expected_ids(objects)[offset : offset + 2]
                response = resource_api.get(path, {"limit": 2, "offset": offset})
                assert response.status_code == 200, response.content[:300]
                assert self.ids(self.items(response.json())) == expected, f"offset {offset}"
                if not response.json()["next"]:
                    break
                offset += 2
            assert offset >= 2, "declare enough objects for two pages"

    class Filters(Base):
        """Each declared filter (a query string -> which objects it keeps) narrows the list to
        exactly those objects; one test per filter."""

        filters: ClassVar[dict[str, Callable[[Any], bool]]] = {}

        def pytest_generate_tests(self, metafunc):
            if "filter_query" in metafunc.fixturenames:
                metafunc.parametrize("filter_query", list(self.filters))

        def test_the_filter_narrows_the_list(self, objects, resource_api, filter_query):
            keeps = self.filters[filter_query]
            wanted = sorted(self.key(obj) for obj in objects if keeps(obj))
            assert 0 < len(wanted) < len(objects), f"{filter_query}: declare objects that it splits"
            listed = self.get_items(resource_api, self.path(objects), f"{filter_query}&limit=100")
            assert sorted(self.ids(listed)) == wanted

    class Retrieve(Base):
        """An object answers 200 with the list's representation; an unknown one a JSON 404."""

        def missing_kwargs(self) -> dict:
            return {"pk": 999_999_999}

        def test_an_object_answers_200_with_the_representation_of_the_list(self, objects, resource_api):
            listed = {item[self.id_field]: item for item in self.get_items(resource_api, self.path(objects))}
            for obj in objects:
                response = resource_api.get(self.detail_path(obj))
                assert response.status_code == 200, response.content[:300]
                assert response.json() == listed[self.key(obj)]

        def test_an_unknown_object_answers_404_in_json(self, resource_api):
            path = reverse(self.detail_url, kwargs=self.missing_kwargs())
            assert_json_error(resource_api.get(path), 404, "not_found")

    class Writes(Base):
        """What the write mixins share: the ledger actions and a client lacking the scope."""

        ledger_actions: ClassVar[dict[str, str]] = {}  # "create" / "update" / "delete" -> action

        @pytest.fixture
        def unscoped_api(self, make_key) -> APIClient:
            return api_client(make_key([s for s in ALL_SCOPES if s != self.scope], **QUOTA)[1])

    class Create(Writes):
        """POST on the list: 201 with the new object, which the API then serves, and one ledger
        entry; bad data is a 400 naming the fields; without the scope a 403 that writes nothing."""

        create_fields: ClassVar[set[str] | None] = None  # keys of the 201 answer (default: fields)
        bad_create_data: ClassVar[tuple[dict, set[str]]]  # (data, the fields the 400 names)

        def created_kwargs(self, body: dict) -> dict:
            """URL kwargs of the detail of the object a POST created (from its 201 answer)."""
            return {"pk": body[self.id_field]}

        @pytest.fixture
        def create_data(self) -> dict:
            raise NotImplementedError("declare a create_data fixture: valid data for a POST")

        def test_create_answers_201_serves_the_object_and_writes_a_ledger_entry(
            self, create_data, resource_api
        ):
            response = resource_api.post(self.path([]), create_data, format="json")
            assert response.status_code == 201, response.content[:500]
            body = response.json()
            assert set(body) == (self.create_fields or set(self.fields))
            assert {name: body[name] for name in create_data} == create_data
            created = body[self.id_field]
            assert created in self.ids(self.get_items(resource_api, self.path([])))
            detail = resource_api.get(reverse(self.detail_url, kwargs=self.created_kwargs(body)))
            assert detail.status_code == 200
            assert ledger_entries(self.ledger_actions["create"], str(created)) == 1

        def test_bad_data_is_a_400_naming_the_fields_and_writes_nothing(self, resource_api):
            data, named = self.bad_create_data
            head = LedgerEntry.objects.count()
            body = assert_json_error(
                resource_api.post(self.path([]), data, format="json"), 400, "invalid_request"
            )
            assert set(body["details"]) == named, body
            assert LedgerEntry.objects.count() == head

        def test_create_needs_the_scope_and_writes_nothing_without_it(
            self, create_data, resource_api, unscoped_api
        ):
            before = self.ids(self.get_items(resource_api, self.path([])))
            head = LedgerEntry.objects.count()
            refused = unscoped_api.post(self.path([]), create_data, format="json")
            assert_json_error(refused, 403, "scope_missing")
            assert self.ids(self.get_items(resource_api, self.path([]))) == before
            assert LedgerEntry.objects.count() == head

    class Update(Writes):
        """PATCH on an object: 200 with the change, which the API then serves, and one ledger
        entry; without the scope a 403 that changes nothing."""

        update_data: ClassVar[dict]

        def test_update_answers_200_serves_the_change_and_writes_a_ledger_entry(self, objects, resource_api):
            obj = objects[0]
            response = resource_api.patch(self.detail_path(obj), self.update_data, format="json")
            assert response.status_code == 200, response.content[:500]
            assert {name: response.json()[name] for name in self.update_data} == self.update_data
            assert resource_api.get(self.detail_path(obj)).json() == response.json()
            assert ledger_entries(self.ledger_actions["update"], str(obj.pk)) == 1

        def test_update_needs_the_scope(self, objects, resource_api, unscoped_api):
            obj = objects[0]
            before = resource_api.get(self.detail_path(obj)).json()
            refused = unscoped_api.patch(self.detail_path(obj), self.update_data, format="json")
            assert_json_error(refused, 403, "scope_missing")
            assert resource_api.get(self.detail_path(obj)).json() == before

    class Delete(Writes):
        """DELETE on an object: 204, then the API no longer serves it (a JSON 404), and one
        ledger entry (nothing is deleted in place: the service marks it); without the scope a
        403 that changes nothing."""

        def test_delete_answers_204_hides_the_object_and_writes_a_ledger_entry(self, objects, resource_api):
            obj = objects[0]
            assert resource_api.delete(self.detail_path(obj)).status_code == 204
            assert_json_error(resource_api.get(self.detail_path(obj)), 404, "not_found")
            assert self.key(obj) not in self.ids(self.get_items(resource_api, self.path(objects)))
            assert ledger_entries(self.ledger_actions["delete"], str(obj.pk)) == 1

        def test_delete_needs_the_scope(self, objects, resource_api, unscoped_api):
            obj = objects[0]
            assert_json_error(unscoped_api.delete(self.detail_path(obj)), 403, "scope_missing")
            assert resource_api.get(self.detail_path(obj)).status_code == 200

    class ReadOnly(Access, List, Retrieve):
        """A read-only resource with a list and a detail."""
