"""The home page's figures come from a table the beat job fills (disclosure/figures.py): a view
reads a few rows, never counts the records, and still has its figures when Redis is down."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from core.models import JobRun
from disclosure import figures, tasks
from registry.choices import RecordCategory
from tests.disclosure.test_caching import DEAD_REDIS

pytestmark = pytest.mark.django_db


def _home(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("disclosure:home"))
    assert response.status_code == 200
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    return response.context["subject_count"], response.context["record_count"], counts


def test_the_home_page_shows_what_the_job_counted_without_counting(
    client, make_subject, department_a, public_record
):
    public_record(make_subject("北京一号科技有限公司"), department_a)
    tasks.count_public_figures.apply()
    assert JobRun.objects.filter(job="count_public_figures", status="succeeded").exists()

    public_record(make_subject("北京二号科技有限公司"), department_a)
    assert _home(client) == (1, 1, [])  # as counted, not recounted per view

    tasks.count_public_figures.apply()
    assert _home(client) == (2, 2, [])


def test_figures_older_than_the_jobs_interval_are_recounted_by_one_view(
    client, make_subject, department_a, public_record
):
    public_record(make_subject(), department_a)
    figures.count_public_figures()
    public_record(make_subject("北京三号科技有限公司"), department_a, category=RecordCategory.LICENCE)

    with time_machine.travel(timezone.now() + figures.COUNT_EVERY - dt.timedelta(seconds=1)):
        assert _home(client)[:2] == (1, 1)
    with time_machine.travel(timezone.now() + figures.STALE_AFTER + dt.timedelta(seconds=1)):
        subjects, records, counts = _home(client)
    assert (subjects, records) == (2, 2) and counts, "the job stopped: the view recounted"


def test_a_fresh_installation_shows_figures_before_the_jobs_first_run(client, make_subject):
    make_subject()
    assert _home(client)[:2] == (1, 0)


@override_settings(CACHES=DEAD_REDIS)
def test_with_redis_down_the_home_page_renders_its_stored_figures(
    client, make_subject, department_a, public_record
):
    caches["default"].close()
    public_record(make_subject(), department_a, case_name="缓存不可用时的处罚")
    figures.count_public_figures()

    subjects, records, counts = _home(client)

    assert (subjects, records, counts) == (1, 1, [])
    assert "缓存不可用时的处罚" in client.get(reverse("disclosure:home")).content.decode()


def test_the_lists_index_shows_the_stored_entries_of_each_list(
    client, make_subject, department_a, public_record
):
    public_record(make_subject(), department_a, category=RecordCategory.SERIOUS_DISHONESTY)
    figures.count_public_figures()
    response = client.get(reverse("disclosure:lists"))
    shown = {row["slug"]: row["count"] for row in response.context["lists"]}
    assert shown["serious-dishonesty"] == 1
