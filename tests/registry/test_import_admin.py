"""The admin: the upload starts a Celery job and shows its progress page, whose report downloads as
CSV; blank templates download; each department sees its own imports only. (Tasks run eagerly here;
tests/registry/test_import_browser.py runs a real worker.)"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from accounts.roles import REGULATOR
from credit_platform.celery import app
from registry.choices import ImportStatus
from registry.models import CreditRecord, ImportBatch
from tests.registry.import_kit import csv_file, headers, penalty

IMPORT_URL = reverse("admin:registry_creditrecord_import")
CHANGELIST = reverse("admin:registry_creditrecord_changelist")


@pytest.fixture(autouse=True)
def eager_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


def upload(data: bytes, name: str = "penalties.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post(client, data: bytes, name: str = "penalties.csv", **fields):
    return client.post(IMPORT_URL, {"file": upload(data, name), **fields}, HTTP_ACCEPT_LANGUAGE="en")


def test_an_upload_starts_the_import_and_shows_its_progress_page(
    client, regulator_a, national_a, django_capture_on_commit_callbacks
):
    client.force_login(regulator_a)
    assert IMPORT_URL in client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = [penalty(number=1), penalty(number=2, decision_date="2026/02/30")]

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, csv_file("penalty", rows))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:registry_importbatch_change", args=[batch.pk])
    assert (batch.status, batch.department, batch.created_by, batch.template) == (
        ImportStatus.SUCCEEDED,
        national_a,
        regulator_a,
        "penalty",
    )
    assert batch.task_id
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="import-status" data-status="succeeded"' in body
    assert '<dd id="import-accepted">1</dd>' in body and '<dd id="import-refused">1</dd>' in body
    assert "2026/02/30 is not a valid date" in body
    status = client.get(reverse("admin:registry_importbatch_status", args=[batch.pk])).json()
    assert (status["rows_read"], status["accepted"], status["refused"], status["finished"]) == (2, 1, 1, True)
    assert status["percent"] == 100.0

    report = client.get(
        reverse("admin:registry_importbatch_report", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == ["Line", "Document number", "Result", "Column", "Reason"]
    assert lines[1][:4] == ["3", "京市监罚〔2026〕2号", "Row refused", "处罚决定日期"]
    assert CreditRecord.objects.get().created_by == regulator_a


def test_a_refused_file_is_a_form_error_and_nothing_is_queued(client, regulator_a, national_a):
    client.force_login(regulator_a)
    header = [name for name in headers("penalty") if name != "处罚依据"]

    response = post(client, csv_file("penalty", [penalty()], header=header))

    assert response.status_code == 400
    assert "missing required column(s): 处罚依据" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_the_same_file_uploaded_again_shows_the_first_import(
    client, regulator_a, national_a, django_capture_on_commit_callbacks
):
    client.force_login(regulator_a)
    data = csv_file("penalty", [penalty()])
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, data)
    again = post(client, data, "copy.csv")

    assert again["Location"] == first["Location"]
    assert ImportBatch.objects.count() == 1 and CreditRecord.objects.count() == 1
    page = client.get(again["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This file was already imported on" in page


def test_a_regulator_cannot_pick_another_department_and_a_platform_admin_must(
    client, regulator_a, platform_admin, national_a, national_b, django_capture_on_commit_callbacks
):
    client.force_login(regulator_a)
    form_page = client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="department"' not in form_page
    with django_capture_on_commit_callbacks(execute=True):
        post(client, csv_file("penalty", [penalty()]), department=national_b.pk)
    assert CreditRecord.objects.get().department == national_a

    client.force_login(platform_admin)
    licence_data = csv_file("penalty", [penalty(number=7, authority_code=national_b.credit_code)])
    assert post(client, licence_data).status_code == 400  # which department?
    with django_capture_on_commit_callbacks(execute=True):
        post(client, licence_data, department=national_b.pk)
    assert CreditRecord.objects.get(document_number="京市监罚〔2026〕7号").department == national_b


def test_each_department_sees_its_own_imports(
    client, regulator_a, regulator_b, national_a, django_capture_on_commit_callbacks
):
    client.force_login(regulator_a)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, csv_file("penalty", [penalty()]))
    batch = ImportBatch.objects.get()
    assert batch.file_name in client.get(reverse("admin:registry_importbatch_changelist")).content.decode()

    client.force_login(regulator_b)
    assert (
        batch.file_name not in client.get(reverse("admin:registry_importbatch_changelist")).content.decode()
    )
    # The progress page answers as the admin does for any object it does not show (as for an id
    # that does not exist); its status and report URLs are a 404.
    change = client.get(reverse("admin:registry_importbatch_change", args=[batch.pk]))
    assert change.status_code == 302 and change.url == reverse("admin:index")
    for name in ("status", "report"):
        url = reverse(f"admin:registry_importbatch_{name}", args=[batch.pk])
        assert client.get(url).status_code == 404


def test_people_without_the_right_cannot_import(client, outsider, db):
    client.force_login(outsider)
    assert client.get(IMPORT_URL).status_code == 403
    user = User.objects.create_user(username="reg-none", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=REGULATOR))
    client.force_login(user)
    response = client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "not assigned to a department" in response.content.decode()


@pytest.mark.parametrize("template", ["penalty", "licence", "penalty-natural", "licence-natural", "simple"])
def test_blank_templates_download_as_csv_and_xlsx(client, regulator_a, template):
    client.force_login(regulator_a)
    page = client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    csv_url = reverse("admin:registry_creditrecord_import_template", args=[template, "csv"])
    xlsx_url = reverse("admin:registry_creditrecord_import_template", args=[template, "xlsx"])
    assert csv_url in page and xlsx_url in page

    blank_csv = client.get(csv_url)
    assert blank_csv["Content-Disposition"] == f'attachment; filename="template-{template}.csv"'
    assert blank_csv.content.decode("utf-8-sig").splitlines() == [",".join(headers(template))]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(xlsx_url).content), read_only=True).active
    assert list(sheet.iter_rows(values_only=True)) == [tuple(headers(template))]
    assert (
        client.get(reverse("admin:registry_creditrecord_import_template", args=[template, "xls"])).status_code
        == 404
    )


def test_the_upload_size_limit_is_a_form_error(client, regulator_a, national_a, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 100
    client.force_login(regulator_a)
    response = post(client, csv_file("penalty", [penalty()]))
    assert response.status_code == 400
    assert "at most 100 bytes may be imported at once" in response.content.decode()


def test_a_running_import_shows_its_progress_and_time_left(client, regulator_a, national_a, tmp_path):
    from django.utils import timezone

    from tests.registry.import_kit import import_file

    batch = import_file(tmp_path, national_a, csv_file("penalty", [penalty()]), dry_run=True)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.RUNNING,
        heartbeat_at=timezone.now(),
        size=1000,
        bytes_done=400,
        rows_read=4000,
        accepted=3990,
        refused=10,
        seconds_left=150,
    )
    client.force_login(regulator_a)

    status = client.get(
        reverse("admin:registry_importbatch_status", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    page = client.get(
        reverse("admin:registry_importbatch_change", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    data = status.json()
    assert (data["finished"], data["percent"], data["time_left"]) == (False, 40.0, "about 2 min")
    body = page.content.decode()
    assert (
        '<dd id="import-rows-read">4000</dd>' in body and '<dd id="import-time-left">about 2 min</dd>' in body
    )
    assert 'id="import-cancel"' in body and 'data-finished="0"' in body
