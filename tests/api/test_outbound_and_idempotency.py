"""Outbound requests and repeated POSTs (issue 12, item 7; API Security Top 10 API6/API7): a webhook
target is checked at every connection and redirects are never followed; ``Idempotency-Key``
replays the answer of a creating POST; an exact duplicate subscription is refused, also when 20
identical requests race."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from disclosure import webhooks
from disclosure.choices import DeliveryStatus
from disclosure.models import Webhook, WebhookDelivery
from tests.base import Scope, api_client, create_agency, create_key, valid_code

# Delivery logs are written in the active language: read here in English.
pytestmark = pytest.mark.usefixtures("english")


class Server:
    """A local HTTP endpoint answering every POST with ``status`` (and ``location``), counting hits."""

    def __init__(self, status: int, location: str = "") -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hook"


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(status: int, location: str = "") -> Server:
        started.append(Server(status, location))
        return started[-1]

    yield start
    for server in started:
        server.httpd.shutdown()


def _delivery(url: str, subject_code: str) -> WebhookDelivery:
    webhook, _secret = webhooks.register_webhook(
        agency=create_agency(), url=url, subject_codes=[subject_code]
    )
    return WebhookDelivery.objects.create(
        webhook=webhook, event_id="1", event="subject.updated", subject_code=subject_code, payload={}
    )


def test_a_redirect_to_an_internal_address_is_not_followed_nor_its_status_logged(db, servers, settings):
    """Attack: a registered URL answers 302 to an internal service (the cloud metadata address in
    real life; a second local server here). Held: the internal service is never called, the
    delivery log shows the 302 and not the internal answer."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # both servers are local; redirects stay refused
    internal = servers(418)
    public = servers(302, location=internal.url())
    delivery = _delivery(public.url(), valid_code())
    assert webhooks.deliver(delivery.pk, final_attempt=True) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert internal.hits == 0 and public.hits == 1
    assert delivery.last_status_code == 302
    assert "418" not in delivery.last_error and "redirect" in delivery.last_error


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_address_that_turned_private_after_registration_is_refused_at_the_connection(
    db, servers, settings, host
):
    """Attack: DNS rebinding (the name was public when registered, resolves to 127.0.0.1 when
    delivered). Held: the address is checked at the connection; nothing is sent; the log names no
    internal address."""
    target = servers(204)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    delivery = _delivery(target.url(host), valid_code())
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert webhooks.deliver(delivery.pk, final_attempt=True) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert target.hits == 0
    assert delivery.last_status_code is None
    assert "private or reserved" in delivery.last_error
    assert "127.0.0.1" not in delivery.last_error


def test_a_public_redirect_target_is_not_followed_either(db, servers, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    final = servers(204)
    delivery = _delivery(servers(301, location=final.url()).url(), valid_code())
    webhooks.deliver(delivery.pk, final_attempt=True)
    assert final.hits == 0


# -- Duplicate subscriptions and Idempotency-Key ---------------------------------------------------


@pytest.fixture
def webhook_api(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    agency = create_agency()
    return agency, create_key(agency, [Scope.WEBHOOKS], name="hooks")[1]


def test_an_exact_duplicate_subscription_is_refused_with_a_409(webhook_api):
    _agency, raw = webhook_api
    api = api_client(raw)
    data = {"url": "http://127.0.0.1:9/dup", "subject_codes": [valid_code(serial=99_100_001)]}
    first = api.post("/api/v1/webhooks", data, format="json")
    assert first.status_code == 201
    again = api.post("/api/v1/webhooks", data, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_webhook" and str(first.json()["id"]) in again.json()["message"]
    other_list = {**data, "subject_codes": [valid_code(serial=99_100_002)]}
    assert api.post("/api/v1/webhooks", other_list, format="json").status_code == 201


def test_the_same_idempotency_key_replays_the_answer_and_creates_nothing_twice(webhook_api):
    _agency, raw = webhook_api
    api = api_client(raw)
    data = {"url": "http://127.0.0.1:9/idem", "subject_codes": [valid_code(serial=99_100_003)]}
    first = api.post("/api/v1/webhooks", data, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    replay = api.post("/api/v1/webhooks", data, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()  # the same id and the same secret, shown again to its owner
    assert replay["Idempotent-Replayed"] == "true"
    assert Webhook.objects.filter(url=data["url"]).count() == 1
    changed = {**data, "url": "http://127.0.0.1:9/other"}
    reused = api.post("/api/v1/webhooks", changed, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    too_long = api.post("/api/v1/webhooks", changed, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert too_long.status_code == 400


def test_another_api_key_does_not_see_the_stored_answer(webhook_api):
    agency, raw = webhook_api
    data = {"url": "http://127.0.0.1:9/mine", "subject_codes": [valid_code(serial=99_100_004)]}
    mine = api_client(raw).post("/api/v1/webhooks", data, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    other_raw = create_key(create_agency("另一家机构"), [Scope.WEBHOOKS], name="theirs")[1]
    theirs = api_client(other_raw).post("/api/v1/webhooks", data, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]


def _race(raw: str, data: dict, headers: dict, count: int = 20) -> list[int]:
    barrier = threading.Barrier(count)

    def post(_i: int) -> tuple[int, int | None]:
        try:
            barrier.wait()
            answer = api_client(raw).post("/api/v1/webhooks", data, format="json", **headers)
            return answer.status_code, answer.json().get("id")
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(post, range(count)))


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_posts_racing_create_one_webhook(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    agency = create_agency()
    raw = create_key(agency, [Scope.WEBHOOKS], name="race")[1]
    data = {"url": "http://127.0.0.1:9/race", "subject_codes": [valid_code(serial=99_100_005)]}
    answers = _race(raw, data, {})
    assert sorted(status for status, _id in answers) == [201] + [409] * 19
    assert Webhook.objects.filter(agency=agency, is_active=True).count() == 1

    keyed = {**data, "url": "http://127.0.0.1:9/race-keyed"}
    answers = _race(raw, keyed, {"HTTP_IDEMPOTENCY_KEY": "race-1"})
    assert {status for status, _id in answers} == {201}
    assert len({webhook_id for _status, webhook_id in answers}) == 1
    assert Webhook.objects.filter(agency=agency, url=keyed["url"]).count() == 1


def test_stored_answers_are_pruned_after_a_day_by_a_scheduled_job(webhook_api):
    from django_celery_beat.models import PeriodicTask

    from accounts.models import IdempotentRequest
    from accounts.tasks import prune_idempotency_keys

    _agency, raw = webhook_api
    data = {"url": "http://127.0.0.1:9/prune", "subject_codes": [valid_code(serial=99_100_006)]}
    api_client(raw).post("/api/v1/webhooks", data, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert PeriodicTask.objects.filter(task="accounts.tasks.prune_idempotency_keys", enabled=True).exists()
    prune_idempotency_keys.apply()
    assert IdempotentRequest.objects.filter(key="old").exists()  # a fresh answer stays
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert prune_idempotency_keys.apply().get() == {"pruned": 1}
    assert not IdempotentRequest.objects.filter(key="old").exists()
