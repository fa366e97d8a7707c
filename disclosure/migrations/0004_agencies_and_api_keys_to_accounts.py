"""Agencies, API keys and the access log now live in accounts (accounts/migrations/0003 renamed
their tables); disclosure forgets them and its webhooks point at accounts.Agency, without
touching the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_agencies_and_api_keys_from_disclosure'),
        ('disclosure', '0003_foreign_objects_and_oversight_scope'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='apikey',
                    name='agency',
                ),
                migrations.AlterField(
                    model_name='webhook',
                    name='agency',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='webhooks', to='accounts.agency', verbose_name='agency'),
                ),
                migrations.RemoveField(
                    model_name='apirequestlog',
                    name='agency',
                ),
                migrations.RemoveField(
                    model_name='apikey',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='apirequestlog',
                    name='api_key',
                ),
                migrations.DeleteModel(
                    name='Agency',
                ),
                migrations.DeleteModel(
                    name='ApiKey',
                ),
                migrations.DeleteModel(
                    name='ApiRequestLog',
                ),
            ],
            database_operations=[],
        ),
    ]
