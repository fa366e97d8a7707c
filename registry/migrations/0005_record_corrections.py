"""Corrections of published records: a version number on the record and an append-only row per
correction (the trigger function of 0002 refuses UPDATE and DELETE)."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_move_ledger_and_jobs_to_core'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='creditrecord',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, help_text='Raised by every correction of a published record.', verbose_name='version'),
        ),
        migrations.CreateModel(
            name='RecordCorrection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(verbose_name='version created')),
                ('fields', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=40), size=None, verbose_name='corrected fields')),
                ('before', models.JSONField(verbose_name='before')),
                ('after', models.JSONField(verbose_name='after')),
                ('reason', models.TextField(verbose_name='reason')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='actor name')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='time')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('record', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='corrections', to='registry.creditrecord', verbose_name='record')),
            ],
            options={
                'verbose_name': 'record correction',
                'verbose_name_plural': 'record corrections',
                'ordering': ['record', 'version'],
                'constraints': [models.UniqueConstraint(fields=('record', 'version'), name='registry_recordcorrection_one_per_version')],
            },
        ),
        migrations.RunSQL(
            "CREATE TRIGGER registry_recordcorrection_append_only BEFORE UPDATE OR DELETE "
            "ON registry_recordcorrection FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();",
            "DROP TRIGGER IF EXISTS registry_recordcorrection_append_only ON registry_recordcorrection;",
        ),
    ]
