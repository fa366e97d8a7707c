"""A file's 处罚有效期 and 公示截止期 against the dates the publicity rule set computes: every
difference is a remark in the report, and the rule set decides (DOMAIN.md 2 and 9: a period ends at
the end of its last day; ``publish_until`` is the first day not public)."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.choices import ProblemKind, PublicationExemption
from registry.models import CreditRecord, Subject
from tests.registry.import_kit import columns_csv, csv_file, headers, import_file, keys, penalty, problems

pytestmark = pytest.mark.usefixtures("english")


def test_dates_that_agree_with_the_rule_set_raise_no_remark(national_a, tmp_path):
    # General penalty of 2026-06-01 under the 2026 rules: public for 12 months, through 2027-06-01.
    batch = import_file(
        tmp_path,
        national_a,
        csv_file("penalty", [penalty(penalty_valid_until="2027/06/01", publicity_until="2027/06/01")]),
    )

    assert problems(batch) == {}
    record = CreditRecord.objects.get()
    assert record.publish_until == dt.date(2027, 6, 2)  # the first day it is not public
    assert record.publicity_last_day == dt.date(2027, 6, 1)


def test_every_difference_is_reported_and_the_rule_set_decides(national_a, tmp_path):
    rows = [
        # One day short: the file counted the period as ending the day before.
        penalty(number=1, penalty_valid_until="2027/06/01", publicity_until="2027/05/31"),
        # The first day not public written as the last public day.
        penalty(number=2, penalty_valid_until="2027/06/02", publicity_until="2027/06/02"),
        # Long-term, as the national templates write it.
        penalty(number=3, penalty_valid_until="2099/12/31", publicity_until="2099/12/31"),
        # Three years, where this general penalty gets one.
        penalty(number=4, publicity_until="2029/06/01"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    remarks = batch.problems.filter(kind=ProblemKind.WARNING).order_by("line", "id")
    found = [(remark.line, remark.column, remark.message) for remark in remarks]
    assert [(line, column) for line, column, _ in found] == [
        (2, "公示截止期"),
        (3, "处罚有效期"),
        (3, "公示截止期"),
        (4, "处罚有效期"),
        (4, "公示截止期"),
        (5, "公示截止期"),
    ]
    assert found[0][2] == (
        "公示截止期 is 2027/05/31 in the file; under 国办发〔2025〕22号及国家发展改革委令第36号"
        "（2026年4月1日起） the record is public through 2027/06/01 (publication stops on 2027/06/02), "
        "and the platform keeps the rule set's date."
    )
    assert "处罚有效期 is 2027/06/02 in the file" in found[1][2]
    assert "is long-term (2099/12/31) in the file" in found[3][2]
    assert "公示截止期 is 2029/06/01 in the file" in found[5][2]
    assert batch.warnings == 6 and batch.refused == 0
    # Every record is public through the rule set's last day, whatever the file said.
    assert set(CreditRecord.objects.values_list("publish_until", flat=True)) == {dt.date(2027, 6, 2)}
    # 处罚有效期 is the decision's own term: kept as the file gives it.
    assert CreditRecord.objects.get(document_number="京市监罚〔2026〕3号").valid_until == dt.date(
        2099, 12, 31
    )


def test_a_date_for_a_penalty_the_rule_set_does_not_publish_is_reported(national_a, tmp_path):
    rows = [
        penalty(
            penalty_types="警告",
            amount="",
            severity="轻微",
            penalty_valid_until="",
            publicity_until="2026/09/01",
        )
    ]
    columns = [*zip(headers("penalty"), keys("penalty"), strict=True), ("严重程度", "severity")]
    batch = import_file(tmp_path, national_a, columns_csv(columns, rows))

    record = CreditRecord.objects.get()
    assert record.publication_exemption == PublicationExemption.MINOR_PENALTY
    (remark,) = batch.problems.filter(kind=ProblemKind.WARNING)
    assert "公示截止期 is 2026/09/01 in the file, but under" in remark.message
    assert "this penalty is not published (Minor penalty not published under its rule set)" in remark.message


def test_the_rule_set_in_force_on_the_decision_date_governs(national_a, tmp_path):
    # Decided under NDRC Order 58 (until 2026-03-31): 3 years for a general penalty.
    batch = import_file(
        tmp_path,
        national_a,
        csv_file(
            "penalty",
            [penalty(decision_date="2025/06/01", penalty_valid_until="", publicity_until="2028/06/01")],
        ),
    )

    assert problems(batch) == {}
    record = CreditRecord.objects.get()
    assert record.rule_set.code == "ndrc-order-58"
    assert record.publicity_last_day == dt.date(2028, 6, 1)


def test_a_decision_no_rule_set_covers_is_refused_naming_what_is_missing(national_a, tmp_path):
    batch = import_file(tmp_path, national_a, csv_file("penalty", [penalty(decision_date="2020/01/10")]))
    assert "No publicity rule set is in force on 2020-01-10" in problems(batch, ProblemKind.REFUSED)[2]
    assert not Subject.objects.exists()  # the refused row registered no subject
