"""Seed the credit-code category table and make the ledger and transitions append-only."""

from django.db import migrations

# Positions 1-2 of GB 32100-2015 codes (DOMAIN.md section 1); data, editable in the admin.
from registry.reference import CODE_CATEGORIES as CATEGORIES


def seed_categories(apps, schema_editor):
    CodeCategory = apps.get_model("registry", "CodeCategory")
    CodeCategory.objects.bulk_create(
        [CodeCategory(code=c, authority=a, name=n, subject_type=t) for c, a, n, t in CATEGORIES],
        ignore_conflicts=True,
    )


APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION registry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on % is refused: this table is append-only (nothing is changed or deleted in place)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER registry_ledgerentry_append_only BEFORE UPDATE OR DELETE ON registry_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE TRIGGER registry_recordtransition_append_only BEFORE UPDATE OR DELETE ON registry_recordtransition
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE TRIGGER registry_creditrecord_no_delete BEFORE DELETE ON registry_creditrecord
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
CREATE TRIGGER registry_subject_no_delete BEFORE DELETE ON registry_subject
    FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS registry_ledgerentry_append_only ON registry_ledgerentry;
DROP TRIGGER IF EXISTS registry_recordtransition_append_only ON registry_recordtransition;
DROP TRIGGER IF EXISTS registry_creditrecord_no_delete ON registry_creditrecord;
DROP TRIGGER IF EXISTS registry_subject_no_delete ON registry_subject;
DROP FUNCTION IF EXISTS registry_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(seed_categories, migrations.RunPython.noop),
        migrations.RunSQL(APPEND_ONLY_SQL, REVERSE_SQL),
    ]
