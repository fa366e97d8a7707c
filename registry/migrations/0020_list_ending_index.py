from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

from core.pgindex import drop_invalid_index


class Migration(migrations.Migration):
    # expire_publicity's delisting pass read every published list entry for each batch it
    # claimed (issue 13: 3.4 s a batch at 1M subjects): an index on the entries' end instead.
    # Built without locking writes.
    atomic = False

    dependencies = [
        ("registry", "0019_name_grams"),
    ]

    operations = [
        drop_invalid_index("registry_record_list_ending"),  # a stopped build can be run again
        AddIndexConcurrently(
            model_name="creditrecord",
            index=models.Index(
                condition=models.Q(
                    (
                        "category__in",
                        (
                            "dishonest_judgment_debtor",
                            "business_abnormality",
                            "serious_dishonesty",
                            "red_list_honour",
                        ),
                    ),
                    ("status", "published"),
                ),
                fields=["valid_until"],
                name="registry_record_list_ending",
            ),
        ),
    ]
