"""Imports that regulators' systems feed (issue 14): where a record came from (``ImportBatch``, its
committed chunks and its refused rows), the national template columns a record has no field for,
natural persons' records kept encrypted and never public, and each department's own credit code.

Licences have no legal basis in the national template, so ``legal_basis`` may be blank for them
(``CreditRecord.clean`` still requires it for every other category). Natural persons' records,
like subjects and credit records, are never deleted in place.
"""

import django.db.models.deletion
import registry.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_provisional_deadlines_and_period_boundaries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('template', models.CharField(choices=[('simple', 'Platform template'), ('penalty', 'National penalty template (legal persons, 2021)'), ('penalty-natural', 'National penalty template (natural persons, 2021)'), ('licence', 'National licence template (legal persons, 2021)'), ('licence-natural', 'National licence template (natural persons, 2021)')], max_length=20, verbose_name='template')),
                ('file_name', models.CharField(max_length=255, verbose_name='file name')),
                ('file_format', models.CharField(max_length=10, verbose_name='format')),
                ('encoding', models.CharField(blank=True, max_length=20, verbose_name='encoding')),
                ('sha256', models.CharField(db_index=True, max_length=64, verbose_name='SHA-256')),
                ('size', models.BigIntegerField(verbose_name='size (bytes)')),
                ('file', models.FileField(blank=True, max_length=300, upload_to='imports/', verbose_name='stored file')),
                ('dry_run', models.BooleanField(default=False, verbose_name='check only')),
                ('created_by_name', models.CharField(blank=True, max_length=150, verbose_name='uploaded by (name)')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Imported'), ('failed', 'Stopped by an error'), ('cancelled', 'Cancelled'), ('refused', 'File refused')], default='queued', max_length=20, verbose_name='status')),
                ('message', models.TextField(blank=True, verbose_name='message')),
                ('cancel_requested', models.BooleanField(default=False, verbose_name='cancellation requested')),
                ('task_id', models.CharField(blank=True, max_length=64, verbose_name='task id')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started at')),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True, verbose_name='last progress at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('lines_done', models.PositiveIntegerField(default=1, verbose_name='lines committed')),
                ('bytes_done', models.BigIntegerField(default=0, verbose_name='bytes read')),
                ('rows_expected', models.PositiveIntegerField(blank=True, null=True, verbose_name='rows expected')),
                ('rows_read', models.PositiveIntegerField(default=0, verbose_name='rows read')),
                ('accepted', models.PositiveIntegerField(default=0, verbose_name='rows accepted')),
                ('refused', models.PositiveIntegerField(default=0, verbose_name='rows refused')),
                ('warnings', models.PositiveIntegerField(default=0, verbose_name='remarks')),
                ('seconds_left', models.PositiveIntegerField(blank=True, null=True, verbose_name='seconds left (estimate)')),
                ('counts', models.JSONField(blank=True, default=dict, verbose_name='counts')),
            ],
            options={
                'verbose_name': 'import',
                'verbose_name_plural': 'imports',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ImportChunk',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='number')),
                ('first_line', models.PositiveIntegerField(verbose_name='first line')),
                ('last_line', models.PositiveIntegerField(verbose_name='last line')),
                ('accepted', models.PositiveIntegerField(verbose_name='rows accepted')),
                ('refused', models.PositiveIntegerField(verbose_name='rows refused')),
                ('committed_at', models.DateTimeField(verbose_name='committed at')),
            ],
            options={
                'verbose_name': 'committed chunk',
                'verbose_name_plural': 'committed chunks',
                'ordering': ['batch', 'number'],
            },
        ),
        migrations.CreateModel(
            name='ImportProblem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('line', models.PositiveIntegerField(verbose_name='line')),
                ('kind', models.CharField(choices=[('refused', 'Row refused'), ('warning', 'Imported with a remark')], max_length=10, verbose_name='kind')),
                ('document_number', models.CharField(blank=True, max_length=200, verbose_name='decision document number')),
                ('column', models.CharField(blank=True, max_length=100, verbose_name='column')),
                ('message', models.TextField(verbose_name='reason')),
            ],
            options={
                'verbose_name': 'import problem',
                'verbose_name_plural': 'import problems',
                'ordering': ['batch', 'line', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PersonRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category', models.CharField(choices=[('licence', 'Administrative licence'), ('penalty', 'Administrative penalty'), ('dishonest_judgment_debtor', 'Dishonest judgment debtor'), ('business_abnormality', 'Business abnormality list'), ('serious_dishonesty', 'Serious illegal and dishonest list'), ('spot_check', 'Spot-check result'), ('red_list_honour', 'Red-list honour'), ('credit_commitment', 'Credit commitment'), ('voluntary', 'Voluntarily registered information')], max_length=40, verbose_name='category')),
                ('document_number', models.CharField(max_length=100, verbose_name='decision document number')),
                ('decision_date', models.DateField(verbose_name='decision date')),
                ('status', models.CharField(choices=[('valid', 'Valid'), ('revoked', 'Revoked')], default='valid', max_length=10, verbose_name='status')),
                ('content_cipher', models.BinaryField(verbose_name='content (encrypted)')),
                ('id_number_index', models.CharField(db_index=True, editable=False, max_length=64, verbose_name='identity number blind index')),
                ('import_line', models.PositiveIntegerField(blank=True, null=True, verbose_name='line in the imported file')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
            ],
            options={
                'verbose_name': "natural person's record",
                'verbose_name_plural': "natural persons' records",
                'ordering': ['-decision_date', '-id'],
            },
        ),
        migrations.AddField(
            model_name='creditrecord',
            name='import_line',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name='line in the imported file'),
        ),
        migrations.AddField(
            model_name='creditrecord',
            name='template_fields',
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name='further template columns'),
        ),
        migrations.AddField(
            model_name='department',
            name='credit_code',
            field=models.CharField(blank=True, help_text="The department's own code (机关: 11...). Rows of national-template files are imported only when their deciding authority's code is this one.", max_length=18, validators=[registry.validators.validate_uscc], verbose_name='unified social credit code'),
        ),
        migrations.AlterField(
            model_name='creditrecord',
            name='legal_basis',
            field=models.TextField(blank=True, verbose_name='legal basis'),
        ),
        migrations.AddConstraint(
            model_name='department',
            constraint=models.UniqueConstraint(condition=models.Q(('credit_code', ''), _negated=True), fields=('credit_code',), name='registry_department_unique_credit_code', violation_error_message='Another department has this credit code.'),
        ),
        migrations.AddField(
            model_name='importbatch',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by'),
        ),
        migrations.AddField(
            model_name='importbatch',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='import_batches', to='registry.department', verbose_name='department'),
        ),
        migrations.AddField(
            model_name='creditrecord',
            name='import_batch',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='records', to='registry.importbatch', verbose_name='import'),
        ),
        migrations.AddField(
            model_name='importchunk',
            name='batch',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='chunks', to='registry.importbatch', verbose_name='import'),
        ),
        migrations.AddField(
            model_name='importproblem',
            name='batch',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='problems', to='registry.importbatch', verbose_name='import'),
        ),
        migrations.AddField(
            model_name='personrecord',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='person_records', to='registry.department', verbose_name='deciding department'),
        ),
        migrations.AddField(
            model_name='personrecord',
            name='import_batch',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='person_records', to='registry.importbatch', verbose_name='import'),
        ),
        migrations.AddIndex(
            model_name='importbatch',
            index=models.Index(fields=['department', 'sha256'], name='registry_import_file'),
        ),
        migrations.AddConstraint(
            model_name='importchunk',
            constraint=models.UniqueConstraint(fields=('batch', 'number'), name='registry_importchunk_unique_number'),
        ),
        migrations.AddIndex(
            model_name='importproblem',
            index=models.Index(fields=['batch', 'line'], name='registry_importproblem_line'),
        ),
        migrations.AddConstraint(
            model_name='personrecord',
            constraint=models.UniqueConstraint(fields=('department', 'document_number'), name='registry_personrecord_unique_document'),
        ),
        migrations.RunSQL(
            "CREATE TRIGGER registry_personrecord_no_delete BEFORE DELETE ON registry_personrecord "
            "FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();",
            "DROP TRIGGER IF EXISTS registry_personrecord_no_delete ON registry_personrecord;",
        ),
    ]
