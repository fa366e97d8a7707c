"""Each record carries its subject's district (``CreditRecord.subject_district``): the public
district filters read one partial index in decision order instead of joining every record to its
subject (bench/README.md); the subjects of a district are listed in code order from an index.
Existing rows are filled in id ranges, each committed on its own (a
city's ten million records are not one transaction), and the index is built concurrently.
"""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

FILL_STEP = 100_000  # record ids per UPDATE


def fill_districts(apps, schema_editor):
    """Copy each subject's district onto its records, one id range per statement."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM registry_creditrecord")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, FILL_STEP):
            cursor.execute(
                "UPDATE registry_creditrecord r SET subject_district = s.district FROM registry_subject s "
                "WHERE s.id = r.subject_id AND r.id >= %s AND r.id < %s "
                "AND r.subject_district IS DISTINCT FROM s.district",
                [start, start + FILL_STEP],
            )


class Migration(migrations.Migration):
    atomic = False  # each fill step commits; the index is built without blocking writes

    dependencies = [
        ("registry", "0012_import_finding_source"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="creditrecord",
            name="subject_district",
            field=models.CharField(
                blank=True,
                choices=[
                    ("110101", "东城区"),
                    ("110102", "西城区"),
                    ("110105", "朝阳区"),
                    ("110106", "丰台区"),
                    ("110107", "石景山区"),
                    ("110108", "海淀区"),
                    ("110109", "门头沟区"),
                    ("110111", "房山区"),
                    ("110112", "通州区"),
                    ("110113", "顺义区"),
                    ("110114", "昌平区"),
                    ("110115", "大兴区"),
                    ("110116", "怀柔区"),
                    ("110117", "平谷区"),
                    ("110118", "密云区"),
                    ("110119", "延庆区"),
                ],
                db_default="",
                default="",
                editable=False,
                max_length=6,
                verbose_name="district of the subject",
            ),
        ),
        migrations.RunPython(fill_districts, migrations.RunPython.noop, elidable=True),
        AddIndexConcurrently(
            model_name="creditrecord",
            index=models.Index(
                condition=models.Q(
                    ("publication_exemption", ""),
                    ("repair_approved_at", None),
                    ("status", "published"),
                    ("withheld_reason", ""),
                ),
                fields=["subject_district", "-decision_date", "-id"],
                include=("publish_until", "valid_until", "category"),
                name="registry_record_pub_district",
            ),
        ),
        # The API's subject list by district, in its order (code).
        AddIndexConcurrently(
            model_name="subject",
            index=models.Index(fields=["district", "code"], name="registry_subject_district_code"),
        ),
    ]
