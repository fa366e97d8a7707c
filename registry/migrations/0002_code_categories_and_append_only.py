"""Seed the credit-code category table and make the ledger and transitions append-only."""

from django.db import migrations

# Positions 1-2 of GB 32100-2015 codes (DOMAIN.md section 1); data, editable in the admin.
CATEGORIES = [
    ("11", "机构编制", "机关", "government_agency"),
    ("12", "机构编制", "事业单位", "public_institution"),
    ("13", "机构编制", "群团组织", "social_organisation"),
    ("19", "机构编制", "其他", "other"),
    ("21", "外交", "外国常驻新闻机构", "other"),
    ("29", "外交", "其他", "other"),
    ("31", "司法行政", "律师事务所", "other"),
    ("32", "司法行政", "公证处", "other"),
    ("33", "司法行政", "基层法律服务所", "other"),
    ("34", "司法行政", "司法鉴定机构", "other"),
    ("35", "司法行政", "仲裁委员会", "other"),
    ("39", "司法行政", "其他", "other"),
    ("41", "文化", "外国在华文化中心", "other"),
    ("49", "文化", "其他", "other"),
    ("51", "民政", "社会团体", "social_organisation"),
    ("52", "民政", "民办非企业单位", "social_organisation"),
    ("53", "民政", "基金会", "social_organisation"),
    ("59", "民政", "其他", "social_organisation"),
    ("61", "旅游", "外国旅游部门常驻代表机构", "other"),
    ("62", "旅游", "港澳台地区旅游部门常驻内地（大陆）代表机构", "other"),
    ("69", "旅游", "其他", "other"),
    ("71", "宗教", "宗教活动场所", "social_organisation"),
    ("72", "宗教", "宗教院校", "social_organisation"),
    ("79", "宗教", "其他", "social_organisation"),
    ("81", "工会", "基层工会", "social_organisation"),
    ("89", "工会", "其他", "social_organisation"),
    ("91", "市场监管", "企业", "enterprise"),
    ("92", "市场监管", "个体工商户", "individual_business"),
    ("93", "市场监管", "农民专业合作社", "farmer_cooperative"),
    ("A1", "中央军委改革和编制办公室", "军队事业单位", "public_institution"),
    ("A9", "中央军委改革和编制办公室", "其他", "other"),
    ("N1", "农业", "组级集体经济组织", "other"),
    ("N2", "农业", "村级集体经济组织", "other"),
    ("N3", "农业", "乡镇级集体经济组织", "other"),
    ("N9", "农业", "其他", "other"),
    ("Y1", "其他", "其他", "other"),
]


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
