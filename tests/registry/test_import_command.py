"""``manage.py import_records``: the same import as the worker's, its report on the console."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from credit_platform.celery import app
from registry.choices import ImportStatus
from registry.models import CreditRecord, ImportBatch
from tests.registry.import_kit import csv_file, headers, penalty, xlsx_file

pytestmark = pytest.mark.usefixtures("english")


def run(path, **options) -> list[str]:
    out = io.StringIO()
    call_command(
        "import_records", str(path), department="dept-a", stdout=out, stderr=io.StringIO(), **options
    )
    return out.getvalue().splitlines()


def test_the_command_prints_each_refused_row_and_remark_then_the_summary(national_a, tmp_path):
    path = tmp_path / "penalties.csv"
    rows = [
        penalty(number=1),
        penalty(number=2, decision_date="x"),
        penalty(number=3, publicity_until="2027/05/31"),
    ]
    path.write_bytes(csv_file("penalty", rows))

    lines = run(path)

    assert lines[0].startswith("line 3: 处罚决定日期: x is not a valid date")
    assert lines[1].startswith("line 4: remark: 公示截止期 is 2027/05/31 in the file")
    assert lines[-1].startswith("3 rows: 2 accepted (2 new, 0 updated, 0 unchanged, 0 revoked")
    assert lines[-1].endswith("1 refused, 1 remarks.")
    assert CreditRecord.objects.count() == 2


def test_the_command_names_the_user_and_writes_the_report(national_a, regulator_a, tmp_path):
    path = tmp_path / "penalties.xlsx"
    path.write_bytes(xlsx_file("penalty", [penalty(number=1), penalty(number=2, amount="x")]))
    report = tmp_path / "report.csv"

    run(path, user="reg-a", report=str(report))

    assert CreditRecord.objects.get().created_by == regulator_a
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["3", "京市监罚〔2026〕2号", "Row refused"]


def test_the_same_file_again_creates_nothing_new(national_a, tmp_path):
    path = tmp_path / "penalties.csv"
    path.write_bytes(csv_file("penalty", [penalty()]))
    run(path)

    lines = run(path)

    assert lines == [
        f"{path} was already imported (import #{ImportBatch.objects.get().pk}, " + lines[0].split(", ")[1]
    ]
    assert "nothing new was created" in lines[0]
    assert CreditRecord.objects.count() == 1


def test_a_dry_run_writes_nothing(national_a, tmp_path):
    path = tmp_path / "penalties.csv"
    path.write_bytes(csv_file("penalty", [penalty()]))

    lines = run(path, dry_run=True)

    assert lines[-1].startswith("Checked, nothing was written: 1 rows: 1 accepted")
    assert not CreditRecord.objects.exists()


def test_the_command_fails_naming_what_is_wrong(national_a, tmp_path):
    path = tmp_path / "penalties.csv"
    path.write_bytes(csv_file("penalty", [penalty()], header=[*headers("penalty"), "审批人"]))

    with pytest.raises(CommandError, match="was refused: .*unknown column.*审批人"):
        run(path)
    with pytest.raises(CommandError, match="Unknown department code: dept-x"):
        call_command("import_records", str(path), department="dept-x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="Unknown user: nobody"):
        run(path, user="nobody")
    with pytest.raises(CommandError, match="header row does not fit"):
        run(path, template="licence")
    assert not CreditRecord.objects.exists()


def test_in_the_background_the_command_hands_the_file_to_a_worker(
    national_a, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "penalties.csv"
    path.write_bytes(csv_file("penalty", [penalty()]))
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            lines = run(path, background=True)
    finally:
        app.conf.task_always_eager = False

    batch = ImportBatch.objects.get()
    assert lines == [f"Import #{batch.pk} queued."]
    assert batch.status == ImportStatus.SUCCEEDED and CreditRecord.objects.count() == 1
