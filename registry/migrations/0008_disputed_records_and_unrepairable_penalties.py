"""Records under objection, and the serious penalties the rule sets do not let be repaired.

- ``CreditRecord.disputed``: while an objection to the record is open it is marked 异议处理中 in
  public (DOMAIN.md 3). A registry fact, changed only by ``registry.services.mark_disputed`` with
  its ledger entry; every existing record starts unmarked (the database default, so rows written
  by bulk loaders that name their columns get it too).
- Non-repairable periods (DOMAIN.md 2: "some serious penalties are not repairable: the rule set
  says which"). NDRC Order No. 58 art. 2 and NDRC Order No. 36 art. 2 allow credit repair except
  where laws, regulations or the policy documents of the Party Central Committee and the State
  Council exclude it. The seed (registry/publicity.py ``NOT_REPAIRABLE_SECTORS``) takes the
  exclusion local repair rules commonly make for conduct endangering life and health: a serious
  penalty revoking a licence (吊销许可证件) in the food, drugs, special-equipment, work-safety and
  fire-safety fields, where the sector laws also bar the subject from the licence for years
  (e.g. 《食品安全法》 art. 135: five years). Administrators keep these rows current in the admin
  (publicity rule sets). This adds them to the seeded rule sets of an existing installation where
  missing (a new one gets them from the seed after migrate); it does not touch records: the
  credit-repair workflow reads the governing period when an application is made.
"""

from django.db import migrations, models

SECTORS = ("food", "drugs", "special_equipment", "work_safety", "fire_safety")
RULE_SETS = ("ndrc-order-58", "gbf-2025-22")


def add_unrepairable_periods(apps, schema_editor):
    PublicityRuleSet = apps.get_model("registry", "PublicityRuleSet")
    PublicityPeriod = apps.get_model("registry", "PublicityPeriod")
    for rule_set in PublicityRuleSet.objects.filter(code__in=RULE_SETS):
        for sector in SECTORS:
            PublicityPeriod.objects.get_or_create(
                rule_set=rule_set,
                severity="serious",
                sector=sector,
                penalty_type="licence_revocation",
                defaults={"published": True, "min_months": 12, "max_months": 36, "repairable": False},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_import_batches_and_department_credit_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditrecord",
            name="disputed",
            field=models.BooleanField(
                db_default=False,
                default=False,
                editable=False,
                help_text="An objection to this record is open: public output marks it “Under objection”.",
                verbose_name="under objection",
            ),
        ),
        # Reversing leaves the rows: administrators may have come to rely on them.
        migrations.RunPython(add_unrepairable_periods, migrations.RunPython.noop),
    ]
