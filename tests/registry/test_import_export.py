"""Exports in the same templates: ``export_records`` and the admin. A round trip (import, then
export) gives the same file."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from core.models import LedgerEntry
from registry.choices import ImportStatus
from tests.base import publish_record, valid_code
from tests.registry.import_kit import (
    csv_file,
    identity_number,
    import_file,
    licence,
    natural,
    penalty,
    xlsx_file,
)

pytestmark = pytest.mark.usefixtures("english")
EXPORT_URL = "/admin/registry/creditrecord/export/"


def penalty_rows() -> list[dict]:
    shared = valid_code()
    individual = valid_code("92")
    return [
        penalty(
            shared,
            1,
            registration_number="110105000000012",
            organisation_code=shared[8:16] + "-" + shared[16],
            legal_representative_id_type="身份证",
            legal_representative_id=identity_number(),
            penalty_types="警告；罚款；没收违法所得",
            confiscated_amount="1.25",
            suspended_licences="食品经营许可证JY11101050000001",
            remarks="已缴纳罚款",
        ),
        penalty(
            shared,
            2,
            registration_number="110105000000012",
            legal_representative_id_type="身份证",
            legal_representative_id=identity_number(),
            amount="12.3456",
            penalty_valid_until="2099/12/31",
            decision_date="2026/07/15",
            publicity_until="2027/07/15",
            facts="=当事人\n多行事实",
        ),
        penalty(
            individual,
            3,
            subject_name="海淀区李四小吃店",
            subject_kind="个体工商户",
            legal_representative="李四",
            penalty_types="罚款",
            amount="0.02",
            penalty_valid_until="",
            source="",
            source_code="",
        ),
        penalty(
            valid_code(),
            4,
            decision_date="2025/03/09",
            publicity_until="2028/03/09",
            penalty_valid_until="2028/03/09",
            result="-罚款",
        ),
    ]


def licence_rows() -> list[dict]:
    return [
        licence(number=1, remarks="新办"),
        licence(number=2, current_status="无效", licence_certificate="", licence_number=""),
        licence(valid_code("52"), 3, subject_name="北京市某某民办学校", valid_until="2099/12/31"),
    ]


def natural_rows(kind: str) -> list[dict]:
    return [natural(kind, 1), natural(kind, 2, subject_name="李四", id_type="护照", id_number="E12345678")]


ROUND_TRIPS = {
    "penalty": penalty_rows,
    "licence": licence_rows,
    "penalty-natural": lambda: natural_rows("penalty"),
    "licence-natural": lambda: natural_rows("licence"),
}


def export_file(tmp_path, template: str, file_format: str = "csv", **options) -> bytes:
    path = tmp_path / f"export.{file_format}"
    call_command(
        "export_records",
        template=template,
        department="dept-a",
        format=file_format,
        output=str(path),
        **options,
    )
    return path.read_bytes()


@pytest.mark.parametrize("template", list(ROUND_TRIPS))
def test_a_csv_round_trip_gives_the_same_file(national_a, tmp_path, template):
    original = csv_file(template, ROUND_TRIPS[template]())
    batch = import_file(tmp_path, national_a, original)
    assert (batch.status, batch.refused) == (ImportStatus.SUCCEEDED, 0), batch.message

    assert export_file(tmp_path, template) == original


def test_the_platform_template_round_trips_too(department_a, tmp_path):
    header = [
        "统一社会信用代码",
        "主体名称",
        "信息类别",
        "决定文书号",
        "案件名称",
        "处罚类别",
        "违法事实",
        "处罚依据",
    ]
    header += ["处罚结果", "罚款金额", "决定日期", "严重程度", "所属领域", "程序类型", "有效期至"]
    rows = [
        [
            valid_code(),
            "北京星辰科技有限公司",
            "行政处罚",
            "京罚〔2026〕1号",
            "超范围经营案",
            "警告；罚款",
            "'=事实",
            "《条例》第八条",
            "罚款5000元",
            "5000.5",
            "2026/06/01",
            "一般",
            "食品",
            "普通程序",
            "",
        ],
        [
            valid_code(),
            "北京月光餐饮有限公司",
            "经营异常名录",
            "京罚〔2026〕2号",
            "列入经营异常名录",
            "",
            "",
            "《企业信息公示暂行条例》",
            "列入",
            "",
            "2026/05/01",
            "严重",
            "一般",
            "简易程序",
            "2029/05/01",
        ],
    ]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    original = ("\ufeff" + out.getvalue()).encode()
    import_file(tmp_path, department_a, original)

    assert export_file(tmp_path, "simple") == original


@pytest.mark.parametrize("template", list(ROUND_TRIPS))
def test_an_xlsx_round_trip_gives_the_same_cells(national_a, tmp_path, template):
    rows = ROUND_TRIPS[template]()
    batch = import_file(tmp_path, national_a, xlsx_file(template, rows), "original.xlsx")
    assert batch.refused == 0, batch.message

    exported = export_file(tmp_path, template, "xlsx")
    assert cells(exported) == cells(xlsx_file(template, rows))


def cells(data: bytes) -> list[tuple]:
    """Every row's cells, empty ones at the end included (a writer may leave them out)."""
    rows = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    width = len(rows[0])
    return [tuple(row) + (None,) * (width - len(row)) for row in rows]


def test_the_rule_set_decides_the_exported_end_of_publicity(national_a, tmp_path):
    import_file(tmp_path, national_a, csv_file("penalty", [penalty(publicity_until="2099/12/31")]))
    exported = export_file(tmp_path, "penalty").decode("utf-8-sig")
    assert "2099/12/31" not in exported.splitlines()[1].split(",")[24]
    assert exported.splitlines()[1].split(",")[24] == "2027/06/01"


def test_a_revoked_penalty_is_not_handed_on_and_published_only_is_a_choice(national_a, regulator_a, tmp_path):
    import_file(tmp_path, national_a, csv_file("penalty", [penalty(number=n) for n in (1, 2, 3)]))
    from registry import services
    from registry.models import CreditRecord

    publish_record(CreditRecord.objects.get(document_number="京市监罚〔2026〕1号"))
    services.revoke_record(
        CreditRecord.objects.get(document_number="京市监罚〔2026〕2号"), actor=regulator_a, reason="撤销"
    )

    everything = export_file(tmp_path, "penalty").decode("utf-8-sig")
    published = export_file(tmp_path, "penalty", published_only=True).decode("utf-8-sig")
    assert "〔2026〕1号" in everything and "〔2026〕3号" in everything and "〔2026〕2号" not in everything
    assert "〔2026〕1号" in published and "〔2026〕3号" not in published


def test_every_export_is_written_to_the_ledger(national_a, tmp_path):
    import_file(tmp_path, national_a, csv_file("penalty", [penalty()]))
    export_file(tmp_path, "penalty")

    entry = LedgerEntry.objects.get(action="registry.department.records_exported")
    assert entry.after == {"template": "penalty", "format": "csv", "rows": 1}
    assert entry.object_id == str(national_a.pk)


def test_the_command_refuses_what_it_cannot_do(national_a):
    with pytest.raises(CommandError, match="Unknown department code: dept-x"):
        call_command("export_records", template="penalty", department="dept-x")
    with pytest.raises(CommandError, match="An xlsx export needs --output FILE"):
        call_command("export_records", template="penalty", department="dept-a", format="xlsx")


def test_a_regulator_exports_their_own_department_from_the_admin(
    client, regulator_a, regulator_b, national_a, national_b, tmp_path
):
    import_file(
        tmp_path,
        national_a,
        csv_file(
            "penalty",
            [penalty(legal_representative_id_type="身份证", legal_representative_id=identity_number())],
        ),
    )
    client.force_login(regulator_a)
    page = client.get(EXPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and 'name="department"' not in page.content.decode()

    response = client.get(EXPORT_URL, {"template": "penalty", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="dept-a-penalty-')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "京市监罚〔2026〕1号" in body and identity_number() in body  # for the national platform

    # Another department's regulator gets their own (empty) department, whatever they ask for.
    client.force_login(regulator_b)
    other = client.get(EXPORT_URL, {"template": "penalty", "format": "csv", "department": national_a.pk})
    assert "京市监罚〔2026〕1号" not in b"".join(other.streaming_content).decode("utf-8-sig")

    xlsx = client.get(EXPORT_URL, {"template": "licence", "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active
    assert next(sheet.iter_rows(values_only=True))[0] == "行政相对人名称"


def test_a_platform_admin_chooses_the_department_and_outsiders_may_not_export(
    client, platform_admin, outsider, national_a, tmp_path
):
    import_file(tmp_path, national_a, csv_file("penalty", [penalty()]))
    client.force_login(platform_admin)
    response = client.get(EXPORT_URL, {"template": "penalty", "format": "csv", "department": national_a.pk})
    assert "京市监罚〔2026〕1号" in b"".join(response.streaming_content).decode("utf-8-sig")
    assert client.get(EXPORT_URL, {"template": "penalty", "format": "csv"}).status_code == 400  # which one?

    client.force_login(outsider)
    assert client.get(EXPORT_URL).status_code == 403
