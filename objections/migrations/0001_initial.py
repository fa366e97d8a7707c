# Objections, credit-repair applications, their attachments and transitions, step deadlines, and
# departments' business systems on the API (objections/models.py).

import django.db.models.deletion
import objections.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0004_consented_read_scope'),
        ('registry', '0006_provisional_deadlines_and_period_boundaries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DepartmentSystem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('account', models.OneToOneField(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='service account')),
                ('agency', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='department_system', to='accounts.agency', verbose_name='agency')),
                ('department', models.ForeignKey(blank=True, help_text="Empty: the platform's own system (intake and self-check for every department).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.department', verbose_name='department')),
            ],
            options={
                'verbose_name': 'department business system',
                'verbose_name_plural': 'department business systems',
                'ordering': ['agency'],
            },
        ),
        migrations.CreateModel(
            name='Objection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tracking_number', models.CharField(editable=False, max_length=20, unique=True, verbose_name='tracking number')),
                ('token_hash', models.CharField(editable=False, max_length=64, verbose_name='SHA-256 of the tracking token')),
                ('step_started_on', models.DateField(blank=True, null=True, verbose_name='step started on')),
                ('due_working_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='working days of the step')),
                ('due_on', models.DateField(blank=True, null=True, verbose_name='due on')),
                ('due_provisional', models.BooleanField(default=False, help_text='Counted on a year whose holiday arrangement is not entered yet (DOMAIN.md 9).', verbose_name='due date provisional')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='filed at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('filer_kind', models.CharField(choices=[('public', 'Member of the public'), ('enterprise', 'The subject (enterprise portal)')], max_length=20, verbose_name='filed by')),
                ('contact_cipher', models.BinaryField(verbose_name='contact details (encrypted)')),
                ('reason', models.TextField(verbose_name='grounds of the objection')),
                ('status', models.CharField(choices=[('submitted', 'Submitted, awaiting intake'), ('self_check', 'Accepted, platform self-check'), ('forwarded', 'With the source department for verification'), ('rejected', 'Closed: not accepted'), ('upheld', 'Closed: the record stands'), ('corrected', 'Closed: the record was corrected'), ('revoked', 'Closed: the record was revoked'), ('withdrawn', 'Closed: withdrawn by the filer')], default='submitted', max_length=20, verbose_name='status')),
                ('decision_reason', models.TextField(blank=True, verbose_name='reason given to the filer')),
                ('corrected_version', models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name='record version after correction')),
                ('result_sent_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='result e-mailed at')),
                ('department', models.ForeignKey(help_text='The department that decided and published the record.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.department', verbose_name='source department')),
                ('filed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='enterprise account')),
                ('record', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.creditrecord', verbose_name='record')),
                ('subject', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.subject', verbose_name='subject')),
            ],
            options={
                'verbose_name': 'objection',
                'verbose_name_plural': 'objections',
                'ordering': ['-created_at', '-id'],
                'permissions': [('handle_intake', 'Can accept or reject objections at intake'), ('self_check_objection', 'Can self-check objections and correct platform errors'), ('decide_objection', "Can decide objections to their department's records")],
            },
        ),
        migrations.CreateModel(
            name='ObjectionAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(max_length=200, upload_to=objections.models.objection_file_path, verbose_name='file')),
                ('original_name', models.CharField(max_length=200, verbose_name='file name')),
                ('content_type', models.CharField(max_length=40, verbose_name='type')),
                ('size', models.PositiveIntegerField(verbose_name='size (bytes)')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                ('objection', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='objections.objection', verbose_name='objection')),
            ],
            options={
                'verbose_name': 'objection attachment',
                'verbose_name_plural': 'objection attachments',
                'ordering': ['objection', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ObjectionTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, max_length=20, verbose_name='from')),
                ('to_status', models.CharField(max_length=20, verbose_name='to')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='actor name')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('due_on', models.DateField(blank=True, null=True, verbose_name='next step due on')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='time')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('objection', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='objections.objection', verbose_name='objection')),
            ],
            options={
                'verbose_name': 'objection transition',
                'verbose_name_plural': 'objection transitions',
                'ordering': ['objection', 'created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RepairApplication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tracking_number', models.CharField(editable=False, max_length=20, unique=True, verbose_name='tracking number')),
                ('token_hash', models.CharField(editable=False, max_length=64, verbose_name='SHA-256 of the tracking token')),
                ('step_started_on', models.DateField(blank=True, null=True, verbose_name='step started on')),
                ('due_working_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='working days of the step')),
                ('due_on', models.DateField(blank=True, null=True, verbose_name='due on')),
                ('due_provisional', models.BooleanField(default=False, help_text='Counted on a year whose holiday arrangement is not entered yet (DOMAIN.md 9).', verbose_name='due date provisional')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='filed at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('statement', models.TextField(verbose_name='obligations performed')),
                ('commitment_text', models.TextField(verbose_name='credit commitment signed')),
                ('commitment_signed_at', models.DateTimeField(verbose_name='commitment signed at')),
                ('status', models.CharField(choices=[('submitted', 'Submitted, under review'), ('approved', 'Approved: the record is no longer public'), ('refused', 'Refused'), ('appealed', 'Refusal appealed to the platform administrator'), ('appeal_approved', 'Appeal upheld: the record is no longer public'), ('appeal_refused', 'Appeal refused'), ('withdrawn', 'Withdrawn by the applicant')], default='submitted', max_length=20, verbose_name='status')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_reason', models.TextField(blank=True, verbose_name='reasons of the decision')),
                ('appeal_reason', models.TextField(blank=True, verbose_name='grounds of the appeal')),
                ('appealed_at', models.DateTimeField(blank=True, null=True, verbose_name='appealed at')),
                ('appeal_decided_at', models.DateTimeField(blank=True, null=True, verbose_name='appeal decided at')),
                ('appeal_decision_reason', models.TextField(blank=True, verbose_name='reasons of the appeal decision')),
                ('appeal_decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='appeal decided by')),
                ('applicant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='applicant')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('department', models.ForeignKey(help_text='The department that decided and published the record.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.department', verbose_name='source department')),
                ('record', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.creditrecord', verbose_name='record')),
                ('subject', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.subject', verbose_name='subject')),
            ],
            options={
                'verbose_name': 'credit-repair application',
                'verbose_name_plural': 'credit-repair applications',
                'ordering': ['-created_at', '-id'],
                'permissions': [('decide_repair', 'Can decide credit-repair applications of their department'), ('decide_repair_appeal', 'Can decide appeals against credit-repair refusals')],
            },
        ),
        migrations.CreateModel(
            name='RepairAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(max_length=200, upload_to=objections.models.repair_file_path, verbose_name='file')),
                ('original_name', models.CharField(max_length=200, verbose_name='file name')),
                ('content_type', models.CharField(max_length=40, verbose_name='type')),
                ('size', models.PositiveIntegerField(verbose_name='size (bytes)')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='objections.repairapplication', verbose_name='credit-repair application')),
            ],
            options={
                'verbose_name': 'repair attachment',
                'verbose_name_plural': 'repair attachments',
                'ordering': ['application', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RepairTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, max_length=20, verbose_name='from')),
                ('to_status', models.CharField(max_length=20, verbose_name='to')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='actor name')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('due_on', models.DateField(blank=True, null=True, verbose_name='next step due on')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='time')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='objections.repairapplication', verbose_name='credit-repair application')),
            ],
            options={
                'verbose_name': 'repair transition',
                'verbose_name_plural': 'repair transitions',
                'ordering': ['application', 'created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='StepDeadline',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('step', models.CharField(choices=[('intake', 'Intake check'), ('self_check', 'Platform self-check'), ('verification', 'Verification by the source department'), ('repair_review', 'Review of a credit-repair application'), ('repair_appeal', 'Review of an appeal against a repair refusal')], max_length=20, unique=True, verbose_name='step')),
                ('working_days', models.PositiveSmallIntegerField(verbose_name='working days')),
                ('source', models.CharField(blank=True, max_length=300, verbose_name='source')),
            ],
            options={
                'verbose_name': 'step deadline',
                'verbose_name_plural': 'step deadlines',
                'ordering': ['step'],
                'constraints': [models.CheckConstraint(condition=models.Q(('working_days__gte', 1)), name='objections_stepdeadline_positive', violation_error_message='A step takes at least one working day.')],
            },
        ),
        migrations.AddIndex(
            model_name='objection',
            index=models.Index(fields=['department', 'status', 'due_on'], name='objections_objection_queue'),
        ),
        migrations.AddIndex(
            model_name='objection',
            index=models.Index(fields=['record', 'status'], name='objections_objection_record'),
        ),
        migrations.AddIndex(
            model_name='objection',
            index=models.Index(fields=['subject', 'created_at'], name='objections_objection_subject'),
        ),
        migrations.AddIndex(
            model_name='repairapplication',
            index=models.Index(fields=['department', 'status', 'due_on'], name='objections_repair_queue'),
        ),
        migrations.AddIndex(
            model_name='repairapplication',
            index=models.Index(fields=['record', 'status'], name='objections_repair_record'),
        ),
        migrations.AddIndex(
            model_name='repairapplication',
            index=models.Index(fields=['subject', 'created_at'], name='objections_repair_subject'),
        ),
    ]
