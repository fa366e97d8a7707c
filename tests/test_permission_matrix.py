"""The permission matrix: every URL of the public site, the admin and the API, for every persona and
the methods that matter -> the answer it must get (pretix's ``src/tests/api/test_permissions.py``,
grown to the whole site). One test id per case: ``<persona>-<METHOD>-<url name>[<object>]``.

The cases are expanded (tests/matrixkit.py) from the compact declarations below: per admin model,
who may view, add, change and delete it and which objects to open (``ADMIN_MODELS``); per page,
the answer per method and persona (``ADMIN_PAGES``, ``PUBLIC_PAGES``); per API endpoint, its scope
and its answers with that scope (``API_ENDPOINTS``: every API persona, and three site personas,
since the API reads keys and never sessions). ``test_every_url_pattern_is_in_the_matrix`` fails,
naming the patterns, when a URL is not covered. An app declares its own URLs in
``tests/<app>/matrix.py`` (a ``build(world)`` adding its objects to the world, and its
``ADMIN_MODELS``, ``PAGES`` and ``API_ENDPOINTS``), imported in ``APP_MATRICES`` below (README,
"Development").

Where existence must not leak, the answer to an object a persona may not see is the answer to an
object that does not exist: the admin's "does not exist" redirect (``GONE``, asserted for a
missing id too) or a 404 (a draft record, another agency's webhook).

The objects are created once for the module (``world``) inside a transaction rolled back at its
end; each case runs in a savepoint of its own, so a case that writes (a POST, a DELETE) changes
nothing for the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import override_settings
from django.urls import resolve
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, SolarSchedule
from rest_framework.test import APIClient

from accounts.models import ApiRequestLog
from core.choices import JobStatus
from core.models import JobRun
from disclosure import tasks, webhooks
from disclosure.choices import ForeignObjectType
from disclosure.models import (
    CreditReport,
    Export,
    ForeignObject,
    ForeignOrigin,
    WebhookDelivery,
)
from registry import services
from tests.accounts import matrix as accounts_matrix
from tests.base import (
    API_PERSONAS,
    CITIZEN,
    PERSONAS,
    SITE_PERSONAS,
    Scope,
    clear_cache,
    create_agency,
    create_department,
    create_key,
    create_persona,
    publish_record,
    record_fields,
    valid_code,
)
from tests.core import matrix as core_matrix
from tests.enterprises import matrix as enterprises_matrix
from tests.matrixkit import (
    ADMIN,
    NOBODY,
    OFFICIALS,
    OPEN,
    REGULATORS,
    SESSIONS_ON_API,
    STAFF,
    AdminModel,
    Answer,
    Case,
    Endpoint,
    Page,
    World,
    check,
    everyone,
    fixed,
    missing_pk,
    only,
    pk_of,
    request,
    staff_page,
    url_routes,
)
from tests.objections import matrix as objections_matrix
from tests.registry import matrix as registry_matrix
from tests.sanctions import matrix as sanctions_matrix

WATCHED = valid_code(serial=99_000_101)  # a code that a webhook registered by a case watches

# -- The objects the URLs open --------------------------------------------------------------------


def build_world() -> World:
    world = World()
    departments = {"a": create_department("a"), "b": create_department("b")}
    subject = services.create_subject(code=valid_code(), name="北京矩阵测试科技有限公司")
    users = {name: create_persona(name, departments, subject) for name in PERSONAS}
    draft_a = services.create_record(subject=subject, department=departments["a"], **record_fields())
    published_a = publish_record(
        services.create_record(subject=subject, department=departments["a"], **record_fields())
    )
    draft_b = services.create_record(subject=subject, department=departments["b"], **record_fields())
    agency = create_agency()
    webhook = webhooks.register_webhook(
        agency=agency, url="http://127.0.0.1:9/h", subject_codes=[subject.code]
    )
    theirs = webhooks.register_webhook(
        agency=create_agency("另一家机构"), url="http://127.0.0.1:9/t", subject_codes=[subject.code]
    )
    origin = ForeignOrigin.objects.create(base_url="https://credit.example.org", name="上海")
    world.update(
        department_a=departments["a"],
        subject=subject,
        draft_a=draft_a,
        published_a=published_a,
        draft_b=draft_b,
        user=users["regulator_b"],
        group=Group.objects.get(name="regulator"),
        agency=agency,
        webhook=webhook[0],
        their_webhook=theirs[0],
        export=Export.objects.get(pk=tasks.build_export()),
        report=CreditReport.objects.create(
            number="BJCR-20261120-MATRIX0001",
            subject=subject,
            generated_at=timezone.now(),
            language="zh-hans",
            content_sha256="0" * 64,
            signature="-",
            key_id="-",
        ),
        clockedschedule=ClockedSchedule.objects.create(clocked_time=timezone.now()),
        solarschedule=SolarSchedule.objects.create(event="sunrise", latitude=39.9, longitude=116.4),
        jobrun=JobRun.objects.create(
            job="publish_due_records", started_at=timezone.now(), status=JobStatus.SUCCEEDED
        ),
        apirequestlog=ApiRequestLog.objects.create(
            agency=agency, method="GET", endpoint="api:subject-list", path="/api/v1/subjects", status_code=200
        ),
        webhookdelivery=WebhookDelivery.objects.create(
            webhook=webhook[0], event_id="1", event="subject.updated", subject_code=subject.code, payload={}
        ),
        foreignorigin=origin,
        foreignobject=ForeignObject.objects.create(
            origin=origin,
            object_type=ForeignObjectType.SUBJECT,
            remote_id="x",
            subject_code=subject.code,
            last_event="subject.created",
        ),
    )
    for app in APP_MATRICES:
        app.build(world)
    world.keys = {
        name: create_key(agency, name=name, per_minute=100_000, per_day=1_000_000, **fields)[1]
        for name, fields in API_PERSONAS.items()
        if fields is not None
    }
    world["apikey"] = agency.api_keys.get(name="key[all]")
    world.client = APIClient()
    world.sessions = {}
    for name, user in users.items():
        world.client.force_login(user)
        world.sessions[name] = world.client.cookies[settings.SESSION_COOKIE_NAME].value
        world.client.cookies = SimpleCookie()
    return world


# -- Declarations ---------------------------------------------------------------------------------

# Draft and published records of department A, a draft of department B, and an id that does not
# exist: the admin of a regulator of the other department answers as for the missing one.
RECORD_HIDDEN = {
    "draft_a": frozenset({"regulator_b", "outsider"}),
    "published_a": frozenset({"regulator_b", "outsider"}),
    "draft_b": frozenset({"regulator_a", "reviewer", "outsider"}),
}

ADMIN_MODELS = [
    AdminModel("auth.group", objects=("group",)),
    AdminModel("accounts.user", view=ADMIN, objects=("user",)),
    AdminModel("django_celery_beat.periodictask", view=ADMIN, change=ADMIN),
    AdminModel("django_celery_beat.intervalschedule", view=ADMIN, add=ADMIN),
    AdminModel("django_celery_beat.crontabschedule", view=ADMIN, add=ADMIN),
    AdminModel("django_celery_beat.clockedschedule", objects=("clockedschedule",)),
    AdminModel("django_celery_beat.solarschedule", objects=("solarschedule",)),
    AdminModel("registry.department", view=REGULATORS, add=ADMIN, change=ADMIN, objects=("department_a",)),
    AdminModel("registry.codecategory", view=ADMIN, change=ADMIN),
    # Registration data belongs to the registering (market-regulation) department: in the world that
    # is department A (tests/enterprises/matrix.py), so B's regulator reads the subject only.
    AdminModel(
        "registry.subject",
        view=REGULATORS,
        add=OFFICIALS,
        change=frozenset({"regulator_a", "reviewer"}) | ADMIN,
        objects=("subject",),
    ),
    AdminModel(
        "registry.creditrecord",
        add=OFFICIALS,
        change=OFFICIALS,
        objects=("draft_a", "published_a", "draft_b", "missing"),
        hidden=RECORD_HIDDEN,
        read_only=frozenset({"published_a"}),
    ),
    AdminModel("core.ledgerentry", view=ADMIN),
    AdminModel("registry.publicityruleset", add=ADMIN, change=ADMIN),
    AdminModel("registry.calendaryear", add=ADMIN, change=ADMIN),
    AdminModel("registry.calendarday", add=ADMIN, change=ADMIN, delete=ADMIN),
    AdminModel("core.jobrun", view=ADMIN, objects=("jobrun",)),
    # The API's admin: superusers only (no role holds these permissions).
    AdminModel("accounts.agency", objects=("agency",)),
    AdminModel("accounts.apikey", objects=("apikey",)),
    AdminModel("accounts.apirequestlog", objects=("apirequestlog",)),
    AdminModel("disclosure.webhook", objects=("webhook",)),
    AdminModel("disclosure.webhookdelivery", objects=("webhookdelivery",)),
    AdminModel("disclosure.export", objects=("export",)),
    AdminModel("disclosure.foreignorigin", objects=("foreignorigin",)),
    AdminModel("disclosure.foreignobject", objects=("foreignobject",)),
]


def _logged_in_login_page() -> dict[str, Answer]:
    """Staff already logged in go on to the index; others see the form."""
    return {p: 302 if p in STAFF else 200 for p in SITE_PERSONAS}


def _department_page(ok: Answer = 200, others: tuple[str, ...] = ("regulator_b",)) -> dict[str, Answer]:
    """A page about one department's record: ``ok`` for the officials acting for it, 404 for the
    regulators of ``others`` departments (as for a record that does not exist)."""
    return {**staff_page(OFFICIALS, answer=ok), **dict.fromkeys(others, 404)}


def _not_staff_to_index(answer: Answer) -> dict[str, Answer]:
    """Logging out: the admin sends anyone not staff to its index (which asks them to log in)."""
    return {p: answer if p in STAFF else 302 for p in SITE_PERSONAS}


ADMIN_PAGES = [
    Page("admin:index", {"GET": staff_page()}),
    Page("admin:login", {"GET": _logged_in_login_page(), "POST": everyone(200)}),
    Page("admin:logout", {"GET": _not_staff_to_index(405), "POST": _not_staff_to_index(200)}),
    Page("admin:password_change", {"GET": staff_page()}),
    Page("admin:password_change_done", {"GET": staff_page()}),
    Page("admin:jsi18n", {"GET": staff_page()}),
    # Apps list: 404 for staff who may see nothing in the app.
    Page("admin:app_list", {"GET": staff_page(OFFICIALS, denied=404)}, lambda w: {"app_label": "registry"}),
    # No model has a public URL: "view on site" is a 404 for every staff member.
    Page(
        "admin:view_on_site",
        {"GET": staff_page(answer=404)},
        lambda w: {
            "content_type_id": ContentType.objects.get_for_model(w["subject"]).pk,
            "object_id": w["subject"].pk,
        },
    ),
    Page(
        "admin:autocomplete",
        {"GET": staff_page(OFFICIALS)},
        query="app_label=registry&model_name=creditrecord&field_name=subject&term=矩阵",
    ),
    Page("admin:auth_user_password_change", {"GET": staff_page(NOBODY)}, lambda w: {"id": w["user"].pk}),
    Page(
        "admin:registry_creditrecord_import",
        {"GET": staff_page(OFFICIALS), "POST": staff_page(OFFICIALS)},
    ),
    Page("admin:registry_creditrecord_overdue", {"GET": staff_page(OFFICIALS)}),
    # Correct and revoke a published record of department A: another department's regulator gets
    # the 404 of a record that does not exist.
    Page(
        "admin:registry_creditrecord_correct",
        {"GET": _department_page(), "POST": _department_page(ok=400)},
        pk_of("published_a"),
    ),
    Page(
        "admin:registry_creditrecord_revoke",
        {"GET": _department_page(), "POST": _department_page(ok=302)},
        pk_of("published_a"),
        data={"reason": "行政复议撤销"},
    ),
    Page(
        "admin:registry_creditrecord_revoke",
        {"GET": _department_page(others=("regulator_a", "reviewer"))},
        pk_of("draft_b"),
        label="other department",
    ),
]


def _subject(world: World) -> dict:
    return {"code": world["subject"].code}


PUBLIC_PAGES = [
    Page("favicon", {"GET": everyone(200), "POST": everyone(405)}),
    Page("healthz", {"GET": everyone(200), "POST": everyone(405)}),
    Page("readyz", {"GET": everyone(200), "POST": everyone(405)}),
    Page("set_language", {"POST": everyone(302), "GET": everyone(302)}, data={"language": "en", "next": "/"}),
    Page("disclosure:home", {"GET": everyone(200), "POST": everyone(405)}),
    Page("disclosure:search", {"GET": everyone(200), "POST": everyone(405)}, query="q=矩阵"),
    Page("disclosure:subject", {"GET": everyone(200), "POST": everyone(405)}, _subject),
    Page("disclosure:subject", {"GET": everyone(404)}, lambda w: {"code": valid_code()}, label="unknown"),
    # Asking for a report queues its rendering (one anonymous and one logged-in persona) and sends
    # the visitor to the page that waits for it; that page never starts a render.
    Page(
        "disclosure:subject_report",
        {"POST": only(302, CITIZEN, "regulator_a"), "GET": everyone(200)},
        _subject,
    ),
    Page("disclosure:feed", {"GET": everyone(200), "POST": everyone(405)}),
    Page(
        "disclosure:list",
        {"GET": everyone(200), "POST": everyone(405)},
        lambda w: {"slug": "serious-dishonesty"},
    ),
    Page("disclosure:list", {"GET": everyone(404)}, lambda w: {"slug": "no-such-list"}, label="unknown"),
    Page("disclosure:verify", {"GET": everyone(200), "POST": everyone(405)}),
    Page("disclosure:public_key", {"GET": everyone(200), "POST": everyone(405)}),
    Page(
        "disclosure:verify_report",
        {"GET": everyone(200), "POST": everyone(400), "PUT": everyone(405)},
        lambda w: {"number": w["report"].number},
    ),
    Page(
        "disclosure:verify_report",
        {"GET": everyone(404)},
        lambda w: {"number": "BJCR-20261120-NOSUCH0000"},
        label="unknown",
    ),
]

_NOT_ALLOWED = {"POST": 405}  # a read-only endpoint refuses writes (DELETE takes the same path)

API_ENDPOINTS = [
    # The schema is built on each request (about half a second): anonymous, a session and a key.
    Endpoint("api-schema", OPEN, {"GET": 200}, personas=(CITIZEN, "platform_admin", "key[all]")),
    Endpoint("api-docs", OPEN, {"GET": 200}),
    Endpoint("api-redoc", OPEN, {"GET": 200}),
    Endpoint("api:subject-list", Scope.SUBJECTS_READ, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint("api:subject-detail", Scope.SUBJECTS_READ, {"GET": 200, **_NOT_ALLOWED}, _subject),
    Endpoint("api:subject-records-list", Scope.RECORDS_READ, {"GET": 200, **_NOT_ALLOWED}, _subject),
    Endpoint("api:record-list", Scope.RECORDS_READ, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint(
        "api:record-detail",
        Scope.RECORDS_READ,
        {"GET": 200, **_NOT_ALLOWED},
        pk_of("published_a"),
    ),
    # A draft is answered as an id that does not exist.
    Endpoint(
        "api:record-detail",
        Scope.RECORDS_READ,
        {"GET": 404},
        pk_of("draft_a"),
        label="draft",
    ),
    Endpoint("api:record-detail", Scope.RECORDS_READ, {"GET": 404}, missing_pk, label="missing"),
    Endpoint("api:changes", Scope.CHANGES_READ, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint(
        "api:match", Scope.SUBJECTS_READ, {"POST": 200, "GET": 405}, data={"queries": [{"name": "矩阵测试"}]}
    ),
    Endpoint("api:overdue-publications", Scope.OVERSIGHT_READ, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint("api:export-list", Scope.EXPORT, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint("api:export-latest", Scope.EXPORT, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint("api:export-detail", Scope.EXPORT, {"GET": 200, **_NOT_ALLOWED}, pk_of("export")),
    Endpoint(
        "api:export-files",
        Scope.EXPORT,
        {"GET": 200},
        lambda w: {"pk": w["export"].pk, "name": "records.csv"},
    ),
    Endpoint(
        "api:webhook-list",
        Scope.WEBHOOKS,
        {"GET": 200, "POST": 201, "DELETE": 405},
        data={"url": "http://127.0.0.1:9/new", "subject_codes": [WATCHED]},
    ),
    Endpoint(
        "api:webhook-detail",
        Scope.WEBHOOKS,
        {"GET": 200, "DELETE": 204, "POST": 405},
        pk_of("webhook"),
    ),
    # Another agency's webhook is answered as one that does not exist.
    Endpoint(
        "api:webhook-detail",
        Scope.WEBHOOKS,
        {"GET": 404, "DELETE": 404},
        pk_of("their_webhook"),
        label="other agency",
    ),
    Endpoint(
        "api:webhook-detail",
        Scope.WEBHOOKS,
        {"GET": 404, "DELETE": 404},
        missing_pk,
        label="missing",
    ),
    Endpoint("api:webhook-deliveries", Scope.WEBHOOKS, {"GET": 200}, pk_of("webhook")),
    Endpoint(
        "api:webhook-deliveries",
        Scope.WEBHOOKS,
        {"GET": 404},
        pk_of("their_webhook"),
        label="other agency",
    ),
    Endpoint("api:usage-list", None, {"GET": 200, **_NOT_ALLOWED}),
]


def _catch_alls() -> Iterator[Case]:
    """Any other path under /admin/ (a 404 for staff) or /api/v1/ (a JSON 404, whatever the method)."""
    for persona, expected in staff_page(answer=404).items():
        yield Case(persona, "GET", "admin:unknown", fixed("/admin/no-such-page/"), expected)
    for method in ("GET", "POST"):
        for persona in (*SESSIONS_ON_API, "no_key", "key[all]"):
            yield Case(persona, method, "api:unknown", fixed("/api/v1/no-such-endpoint"), 404, api=True)


# Each app's own declarations (tests/<app>/matrix.py): one import and one line here. The ledger's
# comes last: its build signs checkpoints over everything the others built.
APP_MATRICES: tuple = (
    registry_matrix,
    enterprises_matrix,
    sanctions_matrix,
    objections_matrix,
    accounts_matrix,
    core_matrix,
)

CASES: list[Case] = [
    *(case for model in ADMIN_MODELS for case in model.cases()),
    *(case for page in (*ADMIN_PAGES, *PUBLIC_PAGES) for case in page.cases()),
    *(case for endpoint in API_ENDPOINTS for case in endpoint.cases()),
    *(case for app in APP_MATRICES for model in app.ADMIN_MODELS for case in model.cases()),
    *(case for app in APP_MATRICES for page in app.PAGES for case in page.cases()),
    *(case for app in APP_MATRICES for endpoint in app.API_ENDPOINTS for case in endpoint.cases()),
    *_catch_alls(),
]


# -- The module's world and the cases -------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, suite_clock, tmp_path_factory):
    generous = override_settings(
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
        RATELIMIT_SEARCH="100000/m",
        RATELIMIT_REPORT="100000/m",
    )
    with generous, django_db_blocker.unblock(), transaction.atomic():
        clear_cache()
        yield build_world()
        transaction.set_rollback(True)
    clear_cache()


@pytest.fixture
def db(world: World) -> Iterator[None]:
    """pytest-django's ``db``, for this module: each case in a savepoint of the world's transaction
    (a test case each would cost half the run), so what a case writes is gone for the next one.
    Named ``db`` so that pytest-django sets the test database up for the module."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# The cases are shared among SHARDS modules (this one and tests/test_permission_matrix_<n>.py),
# each with its own world, so that the suite's workers (xdist, by file) run them side by side.
SHARDS = 4


def shard(number: int) -> list[Case]:
    return CASES[number::SHARDS]


@pytest.mark.parametrize("case", shard(0), ids=[case.id for case in shard(0)])
def test_permission_matrix(case: Case, world: World, db: None) -> None:
    check(request(world, case), case)


def test_every_url_pattern_is_in_the_matrix(world: World, db: None) -> None:
    covered = {resolve(case.path(world).split("?")[0]).route for case in CASES}
    missing = sorted(set(url_routes()) - covered)
    assert not missing, "URL patterns missing from tests/test_permission_matrix.py:\n" + "\n".join(missing)


def test_every_admin_model_and_autocomplete_field_is_declared() -> None:
    declared = {
        model.label for model in (*ADMIN_MODELS, *(m for app in APP_MATRICES for m in app.ADMIN_MODELS))
    }
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert declared == registered, sorted(declared ^ registered)
    autocompletes = {
        f"app_label={m._meta.app_label}&model_name={m._meta.model_name}&field_name={name}"
        for m, model_admin in admin.site._registry.items()
        for name in model_admin.autocomplete_fields
    }
    all_pages = (*ADMIN_PAGES, *(page for app in APP_MATRICES for page in app.PAGES))
    pages = {page.query.split("&term=")[0] for page in all_pages if page.name == "admin:autocomplete"}
    assert autocompletes <= pages, sorted(autocompletes - pages)


def test_every_persona_is_in_the_matrix() -> None:
    assert {case.persona for case in CASES} == {*SITE_PERSONAS, *API_PERSONAS}
