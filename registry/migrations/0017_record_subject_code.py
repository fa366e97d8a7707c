"""Each record carries its subject's credit code (``CreditRecord.subject_code``): the subjects'
category filter reads the subjects of a rare category in code order from one index-only walk with
a LIMIT, instead of sorting every such subject (issue 13, bench/README.md). Existing rows are
filled in id ranges, each committed on its own (a city's ten million records are not one
transaction), and the index is built concurrently.

On a city's database this runs for about an hour (bench/README.md), so it must survive being
stopped and run again: the column is added only if missing, the fill skips filled rows, and an
index left invalid by a stopped concurrent build is dropped before it is built again.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

from core.pgindex import drop_invalid_index

FILL_STEP = 100_000  # record ids per UPDATE

ADD_COLUMN = (
    "ALTER TABLE registry_creditrecord ADD COLUMN IF NOT EXISTS subject_code varchar(18) DEFAULT '' NOT NULL"
)


def fill_codes(apps, schema_editor):
    """Copy each subject's code onto its records, one id range per statement."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM registry_creditrecord")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, FILL_STEP):
            cursor.execute(
                "UPDATE registry_creditrecord r SET subject_code = s.code FROM registry_subject s "
                "WHERE s.id = r.subject_id AND r.id >= %s AND r.id < %s AND r.subject_code <> s.code",
                [start, start + FILL_STEP],
            )


class Migration(migrations.Migration):
    atomic = False  # each fill step commits; the index is built without blocking writes

    dependencies = [
        ("registry", "0016_repaired_due_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # What AddField writes (`sqlmigrate`), with IF NOT EXISTS: a stopped run added it already.
            database_operations=[
                migrations.RunSQL(
                    ADD_COLUMN, "ALTER TABLE registry_creditrecord DROP COLUMN IF EXISTS subject_code"
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="creditrecord",
                    name="subject_code",
                    field=models.CharField(
                        blank=True,
                        db_default="",
                        default="",
                        editable=False,
                        max_length=18,
                        verbose_name="credit code of the subject",
                    ),
                )
            ],
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop, elidable=True),
        drop_invalid_index("registry_record_pub_code"),
        AddIndexConcurrently(
            model_name="creditrecord",
            index=models.Index(
                condition=models.Q(
                    ("publication_exemption", ""),
                    ("repair_approved_at", None),
                    ("status", "published"),
                    ("withheld_reason", ""),
                ),
                fields=["category", "subject_code"],
                include=("subject", "publish_until", "valid_until"),
                name="registry_record_pub_code",
            ),
        ),
    ]
