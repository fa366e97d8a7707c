"""Headers as regulators' systems write them: normalised, not enumerated; the template a file is in
is told from its header."""

from __future__ import annotations

import pytest

from registry.choices import ImportStatus, ImportTemplate
from registry.importer.read import ImportRefused
from registry.importer.templates import TEMPLATES, HeaderRefused, detect, header_key
from registry.models import CreditRecord, PersonRecord
from tests.registry.import_kit import columns_csv, csv_file, headers, import_file, licence, natural, penalty

pytestmark = pytest.mark.usefixtures("english")

# The penalty header exactly as issue 14 lists the national template's columns.
ISSUE_PENALTY_HEADER = [
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1 (统一社会信用代码)",
    "行政相对人代码_2 (工商注册号)",
    "行政相对人代码_3 (组织机构代码)",
    "行政相对人代码_4 (税务登记号)",
    "行政相对人代码_5 (事业单位证书号)",
    "行政相对人代码_6 (社会组织登记证号)",
    "法定代表人",
    "法定代表人证件类型",
    "法定代表人证件号码",
    "证件类型",
    "证件号码",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
]


def respelled(header: list[str]) -> list[str]:
    """The same columns as another system writes them."""
    spelled = []
    for name in header:
        name = name.replace("（", "(").replace("）", ")")  # half-width parentheses
        name = name.replace("_", "-").replace(" (", "（").replace(")", "）")  # "-" and full-width again
        name = name.replace("决定书文号", "决定文书号")
        spelled.append(" " + name.replace("机关", "机 关") + "*")  # spaces, a required-column star
    return spelled


def test_the_penalty_header_as_the_issue_lists_it_is_the_penalty_template():
    assert headers("penalty") == ISSUE_PENALTY_HEADER
    assert detect(ISSUE_PENALTY_HEADER).template.code == ImportTemplate.PENALTY


@pytest.mark.parametrize("template", ["penalty", "licence", "penalty-natural", "licence-natural", "simple"])
def test_each_template_is_told_from_its_header_however_it_is_spelled(template):
    assert detect(headers(template)).template.code == template
    assert detect(respelled(headers(template))).template.code == template


def test_normalisation_folds_width_spaces_dashes_and_the_document_number():
    assert header_key("行政相对人代码－1（统一社会信用代码）") == header_key(
        "行政相对人代码_1 (统一社会信用代码)"
    )
    assert (
        header_key("行政处罚决定文书号") == header_key("行政处罚决定书文号") == header_key("行政处罚决定书号")
    )
    assert header_key("没收违法所得，没收非法财物的金额【万元】") == header_key(
        "没收违法所得、没收非法财物的金额(万元)"
    )
    assert header_key(" *处罚 机关 ") == "处罚机关"


def test_a_shortened_code_header_and_an_amount_in_yuan_are_read(national_a, tmp_path):
    header = [
        "行政相对人代码_1" if name.startswith("行政相对人代码_1") else name for name in headers("penalty")
    ]
    header = ["罚款金额（元）" if name == "罚款金额（万元）" else name for name in header]
    batch = import_file(tmp_path, national_a, csv_file("penalty", [penalty(amount="5000")], header=header))

    assert batch.status == ImportStatus.SUCCEEDED
    assert str(CreditRecord.objects.get().amount) == "5000.00"  # the header's unit, not the template's


def test_an_amount_column_without_its_unit_refuses_the_file(national_a, tmp_path):
    header = ["罚款金额" if name == "罚款金额（万元）" else name for name in headers("penalty")]
    with pytest.raises(ImportRefused, match=r"amount column\(s\) without a unit: 罚款金额"):
        import_file(tmp_path, national_a, csv_file("penalty", [penalty()], header=header))


def test_an_unknown_column_is_named_against_the_closest_template():
    with pytest.raises(HeaderRefused) as refused:
        detect([*headers("licence"), "审批人"])
    assert "National licence template (legal persons, 2021)" in refused.value.message
    assert "unknown column(s): 审批人" in refused.value.message


def test_a_template_chosen_by_hand_is_the_one_checked():
    with pytest.raises(HeaderRefused, match="missing required column"):
        detect(headers("penalty"), "licence")


def test_optional_columns_may_be_left_out_and_platform_columns_added(national_a, tmp_path):
    left_out = ("tax_number", "institution_number", "remarks")
    columns = [(c.header, c.key) for c in TEMPLATES["penalty"].exported_columns if c.key not in left_out]
    columns += [("严重程度", "severity"), ("所属领域", "sector")]
    data = columns_csv(columns, [penalty(severity="严重", sector="食品")])

    batch = import_file(tmp_path, national_a, data)

    assert batch.status == ImportStatus.SUCCEEDED, batch.message
    record = CreditRecord.objects.get()
    assert (record.severity, record.sector) == ("serious", "food")
    assert record.publish_until.year == 2029  # serious: 3 years under the 2026 rules


def test_a_mixed_file_routes_natural_persons_rows_to_their_own_records(national_a, tmp_path):
    person = natural("penalty")
    person["document_number"] = "京市监罚〔2026〕9号"
    batch = import_file(tmp_path, national_a, csv_file("penalty", [penalty(), person]))

    assert batch.counts["created"] == 1 and batch.counts["people"] == 1
    assert PersonRecord.objects.get().document_number == "京市监罚〔2026〕9号"


def test_the_licence_template_is_not_read_as_a_penalty(national_a, tmp_path):
    batch = import_file(tmp_path, national_a, csv_file("licence", [licence()]))
    assert batch.template == "licence"
    assert CreditRecord.objects.get().category == "licence"
