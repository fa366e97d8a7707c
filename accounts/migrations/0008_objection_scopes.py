# The API scopes of objections (objections:read, objections:decide): a new choice of ApiKey.scopes.

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_idempotent_requests'),
    ]

    operations = [
        migrations.AlterField(
            model_name='apikey',
            name='scopes',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('subjects:read', 'Read subjects and match names (subjects, match)'), ('records:read', 'Read public credit records'), ('changes:read', 'Follow the change feed'), ('export', 'Download bulk exports'), ('webhooks:manage', 'Register webhooks and see their deliveries'), ('sanctions:check', 'Check joint reward and punishment measures of a subject'), ('oversight:read', 'Read the records overdue for publication, per department'), ('consented:read', "Read a subject's non-public information with its consent (a grant)"), ('objections:read', 'Read objections to records and their status'), ('objections:decide', "Take objection workflow steps as a department's system")], max_length=40), blank=True, default=list, size=None, verbose_name='scopes'),
        ),
    ]
