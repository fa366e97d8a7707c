"""Batch ledger entries: the rows one entry commits to (docs/ledger.md, "Bulk loads").

Append-only like the ledger (the trigger function of 0002); the application role gets INSERT and
SELECT only (core/dbroles.py finds the trigger).
"""

from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE TRIGGER core_ledgeritem_append_only BEFORE UPDATE OR DELETE ON core_ledgeritem
    FOR EACH ROW EXECUTE FUNCTION core_refuse_change();
"""
REVERSE_SQL = "DROP TRIGGER IF EXISTS core_ledgeritem_append_only ON core_ledgeritem;"


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_merkle_log_and_checkpoints"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerItem",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "entry_seq", "position", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("entry_seq", models.BigIntegerField(verbose_name="batch ledger entry")),
                ("position", models.IntegerField(verbose_name="position in the batch")),
                ("object_type", models.CharField(max_length=60, verbose_name="object type")),
                ("object_id", models.CharField(max_length=40, verbose_name="object id")),
                ("leaf", models.BinaryField(max_length=32, verbose_name="leaf hash")),
            ],
            options={
                "verbose_name": "ledger batch item",
                "verbose_name_plural": "ledger batch items",
                "indexes": [models.Index(fields=["object_type", "object_id"], name="core_ledgeritem_object")],
            },
        ),
        migrations.RunSQL(APPEND_ONLY_SQL, REVERSE_SQL),
    ]
