"""Webhooks: the generic checks (tests/apikit.py), then signed deliveries checked by a real receiver,
retries, refused targets and visibility across agencies."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import translation

from disclosure import webhooks
from disclosure.choices import DeliveryStatus
from disclosure.models import WebhookDelivery
from registry import services
from tests.apikit import APIViewTestCases
from tests.base import Scope, create_agency, valid_code


class TestWebhookAPI(APIViewTestCases.ReadOnly, APIViewTestCases.Create, APIViewTestCases.Delete):
    list_url = "api:webhook-list"
    detail_url = "api:webhook-detail"
    scope = Scope.WEBHOOKS
    fields = {"id", "url", "subject_codes", "is_active", "created_at"}
    create_fields = {*fields, "secret"}
    ordering = ("-pk",)
    ledger_actions = {"create": "disclosure.webhook.registered", "delete": "disclosure.webhook.deactivated"}
    bad_create_data = ({"url": "not a url", "subject_codes": [valid_code(serial=99_000_003)]}, {"url"})

    @pytest.fixture(autouse=True)
    def private_targets(self, settings):
        settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True

    @pytest.fixture
    def make_object(self, agency):
        """The agency's webhooks (another agency's and a deactivated one are never listed)."""

        def register(owner, path: str, codes: list[str]):
            url = f"http://127.0.0.1:9/{path}"
            return webhooks.register_webhook(agency=owner, url=url, subject_codes=codes)[0]

        register(create_agency("另一家机构"), "other", [valid_code()])
        webhooks.deactivate_webhook(register(agency, "gone", [valid_code()]))

        def make(i: int):
            return register(agency, f"h{i}", [valid_code() for _ in range(1 + i % 2)])

        return make

    @pytest.fixture
    def create_data(self):
        return {"url": "http://127.0.0.1:9/new", "subject_codes": sorted([valid_code(), valid_code()])}

    def key(self, webhook):
        return webhook.pk

    def represent(self, webhook):
        return {"url": webhook.url, "subject_codes": webhook.subject_codes, "is_active": True}


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records requests and answers with queued statuses."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


def _register(api, url, codes):
    response = api.post("/api/v1/webhooks", {"url": url, "subject_codes": codes}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True, CELERY_TASK_ALWAYS_EAGER=True)
def test_a_watched_subjects_change_is_posted_signed_and_verifiable(
    api,
    receiver,
    subject,
    make_subject,
    department_a,
    make_record,
    publish,
    django_capture_on_commit_callbacks,
):
    webhooks.dispatch_changes()  # the dispatcher starts at the current head
    hook = _register(api, receiver.url, [subject.code.lower()])
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in api.get(f"/api/v1/webhooks/{hook['id']}").json()
    unwatched = make_subject(name="北京不关注的公司")
    with django_capture_on_commit_callbacks(execute=True):
        record = publish(make_record(subject, department_a))
        publish(make_record(unwatched, department_a))
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.dispatch_changes()
    # Only the watched subject's publication: the unwatched subject's creation and record are not sent.
    assert len(receiver.requests) == 1
    sent = json.loads(receiver.requests[0]["body"])
    assert (sent["event"], sent["id"], sent["op"]) == ("record.published", str(record.pk), "upsert")
    assert receiver.requests[0]["headers"]["X-Credit-Event"] == "record.published"
    for request in receiver.requests:
        header = request["headers"]["X-Credit-Signature"]
        assert webhooks.verify_signature(hook["secret"], header, request["body"])
        assert not webhooks.verify_signature("whsec_wrong", header, request["body"])
        assert not webhooks.verify_signature(hook["secret"], header, request["body"] + b" ")
        timestamp = int(header.split(",")[0][2:])
        assert not webhooks.verify_signature(hook["secret"], header, request["body"], now=timestamp + 301)
    deliveries = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["results"]
    assert {d["status"] for d in deliveries} == {DeliveryStatus.SUCCEEDED}
    # Dispatching again sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.dispatch_changes() == []


@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True, CELERY_TASK_ALWAYS_EAGER=True)
def test_a_failed_delivery_is_retried_until_it_succeeds(
    api, receiver, subject, django_capture_on_commit_callbacks
):
    webhooks.dispatch_changes()
    _register(api, receiver.url, [subject.code])
    receiver.statuses = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        services.update_subject(subject, industry="软件开发")
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.dispatch_changes()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    assert len(receiver.requests) == 3


def test_the_last_failed_attempt_marks_the_delivery_failed(api, subject, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    hook = _register(api, receiver.url, [subject.code])
    delivery = WebhookDelivery.objects.create(
        webhook_id=hook["id"], event_id="x", event="subject.updated", subject_code=subject.code, payload={}
    )
    receiver.statuses = [500, 500]
    with pytest.raises(webhooks.DeliveryFailed):
        webhooks.deliver(delivery.pk)
    assert webhooks.deliver(delivery.pk, final_attempt=True) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 500)


def test_registration_refuses_bad_codes_and_private_addresses(api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    bad = api.post(
        "/api/v1/webhooks", {"url": "https://example.com/h", "subject_codes": ["123"]}, format="json"
    )
    assert bad.status_code == 400 and "123" in json.dumps(bad.json(), ensure_ascii=False)
    private = api.post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:8000/h", "subject_codes": [valid_code()]}, format="json"
    )
    assert private.status_code == 400
    with translation.override("en"):
        private = api.post(
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:8000/h", "subject_codes": [valid_code()]},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert private.json()["details"] == {"url": ["The URL points to a private or reserved address."]}


def test_another_agency_can_neither_see_nor_delete_a_webhook(api, make_key, client_for, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    hook = _register(api, "http://127.0.0.1:9/h", [valid_code()])
    other = create_agency("另一家机构", contact_name="李", contact_email="b@example.com")
    _key, raw = make_key(scopes=[Scope.WEBHOOKS], agency=other)
    assert client_for(raw).get(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    assert client_for(raw).delete(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    assert client_for(raw).get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 404
    assert client_for(raw).get("/api/v1/webhooks").json()["results"] == []
    assert api.get(f"/api/v1/webhooks/{hook['id']}").json()["is_active"] is True
