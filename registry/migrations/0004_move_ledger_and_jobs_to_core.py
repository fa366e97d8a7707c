"""LedgerEntry and JobRun now live in the core app (core/migrations/0001_initial.py renamed
their tables); the registry forgets them without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_publication_lifecycle"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LedgerEntry"),
                migrations.DeleteModel(name="JobRun"),
            ],
            database_operations=[],
        ),
    ]
