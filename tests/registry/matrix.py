"""The importer's URLs in the permission matrix (tests/test_permission_matrix.py): the import
batches and natural persons' records in the admin (read-only, scoped to the department), their
progress, report, cancel and resume pages, blank templates and the export.

``build`` imports one small file in the national penalty template for department A (one legal
person's row and one natural person's row), as the worker would.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from registry.models import PersonRecord
from tests.matrixkit import ADMIN, OFFICIALS, AdminModel, Page, World, pk_of, staff_page
from tests.registry.import_kit import AUTHORITY_A, csv_file, import_file, natural, penalty

DEPARTMENT_A = frozenset({"regulator_a", "reviewer"})
HIDDEN_FROM_OTHERS = frozenset({"regulator_b", "outsider"})


def build(world: World) -> None:
    department = world["department_a"]
    department.credit_code = AUTHORITY_A
    department.save(update_fields=["credit_code"])
    with tempfile.TemporaryDirectory() as folder:
        legal = import_file(Path(folder), department, csv_file("penalty", [penalty(number=901)]), "a.csv")
        persons = import_file(
            Path(folder),
            department,
            csv_file("penalty-natural", [natural("penalty", number=902)]),
            "b.csv",
            template="penalty-natural",
        )
    world.update(import_batch=legal, person_record=PersonRecord.objects.get(import_batch=persons))
    assert legal.accepted == 1, legal.message


def _batch_page(ok: int = 200) -> dict:
    """A page about department A's import: its officials, 404 for other departments' regulators."""
    return {**staff_page(OFFICIALS, answer=ok), **dict.fromkeys(HIDDEN_FROM_OTHERS - {"outsider"}, 404)}


ADMIN_MODELS = [
    AdminModel(
        "registry.importbatch",
        view=OFFICIALS,
        objects=("import_batch",),
        hidden={"import_batch": HIDDEN_FROM_OTHERS},
    ),
    AdminModel(
        "registry.personrecord",
        view=OFFICIALS,
        objects=("person_record",),
        hidden={"person_record": HIDDEN_FROM_OTHERS},
    ),
]

PAGES = [
    Page("admin:registry_importbatch_status", {"GET": _batch_page()}, pk_of("import_batch")),
    Page("admin:registry_importbatch_report", {"GET": _batch_page()}, pk_of("import_batch")),
    # A finished import can be neither cancelled nor resumed: back to its page.
    Page("admin:registry_importbatch_cancel", {"POST": _batch_page(302)}, pk_of("import_batch")),
    Page("admin:registry_importbatch_resume", {"POST": _batch_page(302)}, pk_of("import_batch")),
    # Blank templates hold no data: any staff member may download them.
    Page(
        "admin:registry_creditrecord_import_template",
        {"GET": staff_page()},
        lambda w: {"code": "penalty", "file_format": "csv"},
    ),
    Page("admin:registry_creditrecord_export", {"GET": staff_page(OFFICIALS)}),
]

API_ENDPOINTS: list = []
__all__ = ["ADMIN", "ADMIN_MODELS", "API_ENDPOINTS", "PAGES", "build"]
