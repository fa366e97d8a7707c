"""Move LedgerEntry and JobRun from registry to core without copying a row.

The tables are renamed (a catalogue change: no data is read or written), so ledger sequence
numbers, hashes and the append-only trigger stay exactly as they were; ``verify_ledger`` passes
on a database migrated from the previous schema (tests/core/test_core_migration.py). Content
types are moved too, so groups keep the permissions they held on these models.
"""

from django.db import migrations, models

MOVED = ("ledgerentry", "jobrun")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="core", model=model).exists():
            ContentType.objects.filter(app_label="registry", model=model).update(app_label="core")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="registry", model=model).exists():
            ContentType.objects.filter(app_label="core", model=model).update(app_label="registry")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0003_publication_lifecycle"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LedgerEntry",
                    fields=[
                        ("seq", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="sequence number")),
                        ("created_at", models.DateTimeField(verbose_name="time")),
                        ("action", models.CharField(db_index=True, max_length=80, verbose_name="action")),
                        ("object_type", models.CharField(max_length=60, verbose_name="object type")),
                        ("object_id", models.CharField(max_length=40, verbose_name="object id")),
                        ("actor_id", models.BigIntegerField(blank=True, null=True, verbose_name="actor id")),
                        ("actor_name", models.CharField(blank=True, max_length=150, verbose_name="actor name")),
                        ("request_id", models.CharField(blank=True, max_length=64, verbose_name="request id")),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="before")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="after")),
                        ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
                        ("hash", models.CharField(max_length=64, unique=True, verbose_name="hash")),
                    ],
                    options={
                        "verbose_name": "ledger entry",
                        "verbose_name_plural": "ledger entries",
                        "ordering": ["seq"],
                        "indexes": [
                            models.Index(fields=["object_type", "object_id"], name="registry_ledger_object")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="JobRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("job", models.CharField(db_index=True, max_length=60, verbose_name="job")),
                        ("task_id", models.CharField(blank=True, max_length=64, verbose_name="task id")),
                        ("started_at", models.DateTimeField(verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        (
                            "status",
                            models.CharField(
                                choices=[("running", "Running"), ("succeeded", "Succeeded"), ("failed", "Failed")],
                                default="running",
                                max_length=20,
                                verbose_name="status",
                            ),
                        ),
                        ("counts", models.JSONField(blank=True, default=dict, verbose_name="counts")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                    ],
                    options={
                        "verbose_name": "job run",
                        "verbose_name_plural": "job runs",
                        "ordering": ["-started_at", "-id"],
                    },
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE registry_ledgerentry RENAME TO core_ledgerentry;"
                    "ALTER TABLE registry_jobrun RENAME TO core_jobrun;",
                    "ALTER TABLE core_ledgerentry RENAME TO registry_ledgerentry;"
                    "ALTER TABLE core_jobrun RENAME TO registry_jobrun;",
                ),
            ],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
