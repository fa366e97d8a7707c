"""Agencies, their API keys and the access log move from disclosure to accounts (identity and
credentials live together) without copying a row: the tables, their check constraint and their
named indexes are renamed, and the content types follow so that permissions keep their groups."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MOVED = ("agency", "apikey", "apirequestlog")

RENAME_SQL = """
ALTER TABLE disclosure_agency RENAME TO accounts_agency;
ALTER TABLE disclosure_apikey RENAME TO accounts_apikey;
ALTER TABLE disclosure_apirequestlog RENAME TO accounts_apirequestlog;
ALTER TABLE accounts_apikey RENAME CONSTRAINT disclosure_apikey_positive_quota TO accounts_apikey_positive_quota;
ALTER INDEX disclosure_apilog_agency RENAME TO accounts_apilog_agency;
ALTER INDEX disclosure_apilog_subjects RENAME TO accounts_apilog_subjects;
"""
REVERSE_SQL = """
ALTER INDEX accounts_apilog_subjects RENAME TO disclosure_apilog_subjects;
ALTER INDEX accounts_apilog_agency RENAME TO disclosure_apilog_agency;
ALTER TABLE accounts_apikey RENAME CONSTRAINT accounts_apikey_positive_quota TO disclosure_apikey_positive_quota;
ALTER TABLE accounts_apirequestlog RENAME TO disclosure_apirequestlog;
ALTER TABLE accounts_apikey RENAME TO disclosure_apikey;
ALTER TABLE accounts_agency RENAME TO disclosure_agency;
"""


def move_content_types(apps, schema_editor, source="disclosure", target="accounts"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def restore_content_types(apps, schema_editor):
    move_content_types(apps, schema_editor, source="accounts", target="disclosure")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('disclosure', '0003_foreign_objects_and_oversight_scope'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Agency',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, unique=True, verbose_name='name')),
                        ('kind', models.CharField(choices=[('credit_agency', 'Third-party credit agency'), ('platform', 'Another credit platform'), ('government', 'Government business system')], default='credit_agency', max_length=20, verbose_name='kind')),
                        ('contact_name', models.CharField(max_length=100, verbose_name='contact person')),
                        ('contact_email', models.EmailField(max_length=254, verbose_name='contact e-mail')),
                        ('contact_phone', models.CharField(blank=True, max_length=40, verbose_name='contact phone')),
                        ('is_active', models.BooleanField(default=True, help_text="An inactive agency's keys are refused at once.", verbose_name='active')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ],
                    options={
                        'verbose_name': 'API agency',
                        'verbose_name_plural': 'API agencies',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='What the agency uses this key for.', max_length=100, verbose_name='name')),
                        ('prefix', models.CharField(editable=False, max_length=8, unique=True, verbose_name='prefix')),
                        ('hashed_key', models.CharField(editable=False, max_length=64, verbose_name='SHA-256 of the key')),
                        ('scopes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('subjects:read', 'Read subjects and match names (subjects, match)'), ('records:read', 'Read public credit records'), ('changes:read', 'Follow the change feed'), ('export', 'Download bulk exports'), ('webhooks:manage', 'Register webhooks and see their deliveries'), ('sanctions:check', 'Check joint reward and punishment measures of a subject'), ('oversight:read', 'Read the records overdue for publication, per department')], max_length=40), blank=True, default=list, size=None, verbose_name='scopes')),
                        ('per_minute', models.PositiveIntegerField(default=60, verbose_name='requests per minute')),
                        ('per_day', models.PositiveIntegerField(default=10000, verbose_name='requests per day')),
                        ('expires_at', models.DateTimeField(blank=True, null=True, verbose_name='expires at')),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='revoked at')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='api_keys', to='accounts.agency', verbose_name='agency')),
                        ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                    ],
                    options={
                        'verbose_name': 'API key',
                        'verbose_name_plural': 'API keys',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ApiRequestLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                        ('method', models.CharField(max_length=10, verbose_name='method')),
                        ('endpoint', models.CharField(max_length=100, verbose_name='endpoint')),
                        ('path', models.CharField(max_length=500, verbose_name='path')),
                        ('status_code', models.PositiveSmallIntegerField(verbose_name='status')),
                        ('subject_codes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=18), blank=True, default=list, size=None, verbose_name='subjects looked up')),
                        ('duration_ms', models.PositiveIntegerField(default=0, verbose_name='duration (ms)')),
                        ('request_id', models.CharField(blank=True, max_length=64, verbose_name='request id')),
                        ('agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='accounts.agency', verbose_name='agency')),
                        ('api_key', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='accounts.apikey', verbose_name='API key')),
                    ],
                    options={
                        'verbose_name': 'API request',
                        'verbose_name_plural': 'API requests',
                        'ordering': ['-at', '-id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='apikey',
                    constraint=models.CheckConstraint(condition=models.Q(('per_minute__gte', 1), ('per_day__gte', 1)), name='accounts_apikey_positive_quota', violation_error_message='Quotas must allow at least one request.'),
                ),
                migrations.AddIndex(
                    model_name='apirequestlog',
                    index=models.Index(fields=['agency', 'at'], name='accounts_apilog_agency'),
                ),
                migrations.AddIndex(
                    model_name='apirequestlog',
                    index=django.contrib.postgres.indexes.GinIndex(fields=['subject_codes'], name='accounts_apilog_subjects'),
                ),
            ],
            database_operations=[migrations.RunSQL(RENAME_SQL, REVERSE_SQL)],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
