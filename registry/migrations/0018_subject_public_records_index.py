from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

from core.pgindex import drop_invalid_index


class Migration(migrations.Migration):
    # The subject page's counts per category read a thousand heap pages for the busiest subjects
    # (issue 13): an index-only scan instead. Built without locking writes.
    atomic = False

    dependencies = [
        ("registry", "0017_record_subject_code"),
    ]

    operations = [
        drop_invalid_index("registry_record_pub_by_subject"),  # a stopped build can be run again
        AddIndexConcurrently(
            model_name="creditrecord",
            index=models.Index(
                condition=models.Q(
                    ("publication_exemption", ""),
                    ("repair_approved_at", None),
                    ("status", "published"),
                    ("withheld_reason", ""),
                ),
                fields=["subject", "category", "-decision_date", "-id"],
                include=("publish_until", "valid_until"),
                name="registry_record_pub_by_subject",
            ),
        ),
    ]
