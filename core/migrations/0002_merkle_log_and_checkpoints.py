"""The Merkle log over the ledger: perfect-subtree hashes and signed checkpoints (RFC 9162).

Both tables are append-only like the ledger: a trigger refuses UPDATE and DELETE (core's own
function, so core depends on no other app's migration). The application's database role gets
INSERT and SELECT only on them (``manage.py setup_database``, core/dbroles.py).
"""

from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION core_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on % is refused: this table is append-only (nothing is changed or deleted in place)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_merklenode_append_only BEFORE UPDATE OR DELETE ON core_merklenode
    FOR EACH ROW EXECUTE FUNCTION core_refuse_change();
CREATE TRIGGER core_checkpoint_append_only BEFORE UPDATE OR DELETE ON core_checkpoint
    FOR EACH ROW EXECUTE FUNCTION core_refuse_change();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS core_merklenode_append_only ON core_merklenode;
DROP TRIGGER IF EXISTS core_checkpoint_append_only ON core_checkpoint;
DROP FUNCTION IF EXISTS core_refuse_change();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Checkpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tree_size', models.BigIntegerField(unique=True, verbose_name='tree size')),
                ('root_hash', models.CharField(max_length=64, verbose_name='root hash')),
                ('signed_at', models.DateTimeField(verbose_name='signed at')),
                ('origin', models.CharField(max_length=200, verbose_name='origin')),
                ('key_id', models.CharField(max_length=16, verbose_name='signing key id')),
                ('signature', models.CharField(max_length=100, verbose_name='Ed25519 signature')),
            ],
            options={
                'verbose_name': 'ledger checkpoint',
                'verbose_name_plural': 'ledger checkpoints',
                'ordering': ['-tree_size'],
            },
        ),
        migrations.CreateModel(
            name='MerkleNode',
            fields=[
                ('pk', models.CompositePrimaryKey('level', 'index', blank=True, editable=False, primary_key=True, serialize=False)),
                ('level', models.SmallIntegerField(verbose_name='level')),
                ('index', models.BigIntegerField(verbose_name='index')),
                ('hash', models.BinaryField(max_length=32, verbose_name='hash')),
            ],
            options={
                'verbose_name': 'Merkle node',
                'verbose_name_plural': 'Merkle nodes',
            },
        ),
        migrations.RunSQL(APPEND_ONLY_SQL, REVERSE_SQL),
    ]
