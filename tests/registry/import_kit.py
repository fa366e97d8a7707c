"""Files in the national templates and the platform's own, and a way to import them as a worker does.

Rows are dicts keyed by column key (``registry/importer/templates.py``); ``csv_file`` and
``xlsx_file`` lay them out under a template's headers (or any header spelling a test gives).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl

from registry.codes import ID_CHECK, ID_WEIGHTS, make_uscc
from registry.importer.export import guard
from registry.importer.run import run_import, start_import
from registry.importer.templates import TEMPLATES
from registry.models import ImportBatch
from tests.base import valid_code

AUTHORITY_A = make_uscc("1111000000000001")
AUTHORITY_B = make_uscc("1111000000000002")


def identity_number(body: str = "11010519491231002") -> str:
    """A resident identity number with a valid GB 11643 check character."""
    total = sum(int(char) * weight for char, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def headers(template: str) -> list[str]:
    return [column.header for column in TEMPLATES[template].exported_columns]


def keys(template: str) -> list[str]:
    return [column.key for column in TEMPLATES[template].exported_columns]


def penalty(code: str | None = None, number: int = 1, **values: Any) -> dict[str, Any]:
    """A penalty row of a legal person in the national template (column keys)."""
    row = {
        "subject_name": "北京星辰科技有限公司",
        "subject_kind": "法人及非法人组织",
        "code": valid_code() if code is None else code,
        "legal_representative": "王小明",
        "document_number": f"京市监罚〔2026〕{number}号",
        "violation_type": "未按规定公示年度报告",
        "facts": "当事人未按规定报送2025年度报告。",
        "legal_basis": "《企业信息公示暂行条例》第八条",
        "penalty_types": "警告；罚款",
        "result": "警告，罚款人民币5000元",
        "amount": "0.5",
        "decision_date": "2026/06/01",
        "penalty_valid_until": "2027/06/01",
        "publicity_until": "2027/06/01",
        "authority": "北京市市场监督管理局",
        "authority_code": AUTHORITY_A,
        "source": "北京市市场监督管理局",
        "source_code": AUTHORITY_A,
    }
    row.update(values)
    return row


def licence(code: str | None = None, number: int = 1, **values: Any) -> dict[str, Any]:
    """A licence row of a legal person in the national template."""
    row = {
        "subject_name": "北京星辰科技有限公司",
        "subject_kind": "法人及非法人组织",
        "code": valid_code() if code is None else code,
        "legal_representative": "王小明",
        "licence_document_name": "食品经营许可决定书",
        "document_number": f"京市监许〔2026〕{number}号",
        "licence_kind": "普通",
        "licence_certificate": "食品经营许可证",
        "licence_number": f"JY1110105{number:07d}",
        "licence_content": "预包装食品销售（含冷藏冷冻食品）",
        "decision_date": "2026/06/01",
        "valid_from": "2026/06/01",
        "valid_until": "2031/05/31",
        "authority": "北京市市场监督管理局",
        "authority_code": AUTHORITY_A,
        "current_status": "有效",
        "source": "北京市市场监督管理局",
        "source_code": AUTHORITY_A,
    }
    row.update(values)
    return row


def natural(kind: str, number: int = 1, **values: Any) -> dict[str, Any]:
    """A row of a natural person (``kind`` "penalty" or "licence")."""
    row = penalty(number=number) if kind == "penalty" else licence(number=number)
    for key in ("code", "legal_representative"):
        row.pop(key)
    row.update(
        subject_name="张三",
        subject_kind="自然人",
        id_type="身份证",
        id_number=identity_number(),
        document_number=f"京市监{'罚' if kind == 'penalty' else '许'}〔2026〕自{number}号",
    )
    row.update(values)
    return row


def table(template: str, rows: list[dict[str, Any]], header: list[str] | None = None) -> list[list[Any]]:
    """The header (the template's, or ``header`` naming the same columns) and the rows."""
    names = keys(template)
    return [header or headers(template), *[[row.get(key, "") for key in names] for row in rows]]


def csv_file(
    template: str, rows: list[dict[str, Any]], *, header=None, encoding="utf-8-sig", delimiter=","
) -> bytes:
    """As the exporter writes it: cells a spreadsheet would run as formulas guarded by an apostrophe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerows([[guard(str(value)) for value in values] for values in table(template, rows, header)])
    return out.getvalue().encode(encoding)


def columns_csv(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> bytes:
    """A CSV file of chosen columns: (header as written, column key) pairs."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([header for header, _key in columns])
    writer.writerows([[row.get(key, "") for _header, key in columns] for row in rows])
    return out.getvalue().encode()


def xlsx_file(template: str, rows: list[dict[str, Any]], *, header=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in table(template, rows, header):
        sheet.append([value if value != "" else None for value in values])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def import_file(
    tmp_path: Path,
    department,
    data: bytes,
    name: str = "records.csv",
    *,
    actor=None,
    template: str = "",
    dry_run: bool = False,
) -> ImportBatch:
    """Start and run an import as the command does (synchronously, same code as the worker)."""
    path = tmp_path / name
    path.write_bytes(data)
    started = start_import(
        path,
        file_name=name,
        department=department,
        actor=actor,
        template=template,
        dry_run=dry_run,
        store=False,
    )
    if started.outcome in ("already imported", "running"):
        return started.batch
    return run_import(started.batch.pk, path)


def problems(batch: ImportBatch, kind: str | None = None) -> dict[int, str]:
    """Line -> the reasons given for it (refused rows and remarks, or one kind)."""
    found: dict[int, str] = {}
    rows = batch.problems.order_by("line", "id")
    if kind:
        rows = rows.filter(kind=kind)
    for problem in rows:
        found[problem.line] = (found.get(problem.line, "") + " " + problem.message).strip()
    return found


def dump_database() -> str:
    """The whole database as pg_dump writes it (data only): what a stolen backup would show."""
    import os
    import shutil
    import subprocess

    import pgserver
    from django.db import connection

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    found = str(bundled) if bundled.exists() else shutil.which("pg_dump")
    assert found, "pg_dump is needed for this test (it ships with pgserver)"
    db = connection.settings_dict
    command = [found, "--data-only", "--no-owner", "-d", db["NAME"], "-U", db["USER"]]
    if db.get("HOST"):
        command += ["-h", db["HOST"]]
    if db.get("PORT"):
        command += ["-p", str(db["PORT"])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
