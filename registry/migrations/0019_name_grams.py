"""The bigrams of subjects' names in the order a name search ranks by (``NameGram``, issue 13,
docs/search.md): a page and a capped count of a name become index-only range scans with a LIMIT
instead of reading every match through the GIN index and sorting it.

The table is derived data, like an index: the database keeps it from ``registry_subject.search_text``
with triggers, so every writer (the services, the importer, the COPY loaders, SQL by hand) keeps
it without a line of code: set-based per statement for inserts, per row for a changed name
(subjects are never deleted: registry_subject is append-only). The rows of a name are made by
one SQL function (``registry_name_grams``), which the triggers, the fill below and the rebuild
(``registry.ngrams.rebuild_name_grams``) share.

Existing subjects are filled in id ranges, each committed on its own; the triggers come first,
so subjects written during the fill are kept too. Stopped and run again, the migration skips the
ranges already filled (their last named subject has its rows) and the rest is ``ON CONFLICT DO
NOTHING``. The two name indexes of 0015, which the search no longer reads, are dropped.
"""

import django.db.models.deletion
from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations, models

FILL_STEP = 50_000  # subject ids per INSERT

CREATE_TABLE = (
    'CREATE TABLE IF NOT EXISTS "registry_namegram" ("gram" varchar(2) COLLATE "C" NOT NULL, '
    '"tier" smallint NOT NULL, "length" smallint NOT NULL, "name" text COLLATE "C" NOT NULL, '
    '"formers" text NOT NULL, "subject_id" bigint NOT NULL, '
    'PRIMARY KEY ("gram", "tier", "length", "name", "subject_id") INCLUDE ("formers"))'
)

# The rows of one subject: each bigram of its current name once, with its tier (0: the name is
# the bigram, 1: the name starts with it, 2: contains it), and each bigram of its former names
# once (tier 3, with the former names); the current name's length and text on every row, the
# order of every tier (registry/search.py ``rank_by_name``).
NAME_GRAMS = r"""
CREATE OR REPLACE FUNCTION registry_name_grams(subject bigint, search_text text)
RETURNS TABLE (gram text, tier smallint, length smallint, name text, subject_id bigint, formers text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT g.bigram, min(g.place)::smallint, char_length(c.cur)::smallint, c.cur, subject,
         CASE WHEN g.former THEN c.formers ELSE '' END
  FROM (SELECT split_part(search_text, E'\n', 1) AS cur,
               CASE WHEN strpos(search_text, E'\n') > 0
                    THEN substr(search_text, strpos(search_text, E'\n') + 1) ELSE '' END AS formers) c,
       LATERAL (
         SELECT substr(l.line, i, 2) AS bigram, l.n > 1 AS former,
                CASE WHEN l.n > 1 THEN 3 WHEN char_length(l.line) = 2 THEN 0 WHEN i = 1 THEN 1 ELSE 2 END AS place
         FROM unnest(string_to_array(search_text, E'\n')) WITH ORDINALITY AS l(line, n),
              generate_series(1, char_length(l.line) - 1) AS i
       ) g
  GROUP BY g.bigram, g.former, c.cur, c.formers
$$
"""

COLUMNS = "gram, tier, length, name, subject_id, formers"
SAME_ROW = (
    't.gram = g.gram COLLATE "C" AND t.tier = g.tier AND t.length = g.length '
    'AND t.name = g.name COLLATE "C" AND t.subject_id = g.subject_id'
)

TRIGGERS = f"""
CREATE OR REPLACE FUNCTION registry_subject_grams_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO registry_namegram ({COLUMNS})
  SELECT g.gram, g.tier, g.length, g.name, g.subject_id, g.formers
  FROM inserted_subjects s CROSS JOIN LATERAL registry_name_grams(s.id, s.search_text) g
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION registry_subject_grams_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM registry_namegram t USING registry_name_grams(OLD.id, OLD.search_text) g WHERE {SAME_ROW};
  INSERT INTO registry_namegram ({COLUMNS})
  SELECT g.gram, g.tier, g.length, g.name, g.subject_id, g.formers
  FROM registry_name_grams(NEW.id, NEW.search_text) g
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS registry_subject_grams_inserted ON registry_subject;
CREATE TRIGGER registry_subject_grams_inserted AFTER INSERT ON registry_subject
  REFERENCING NEW TABLE AS inserted_subjects
  FOR EACH STATEMENT EXECUTE FUNCTION registry_subject_grams_inserted();
DROP TRIGGER IF EXISTS registry_subject_grams_updated ON registry_subject;
CREATE TRIGGER registry_subject_grams_updated AFTER UPDATE OF search_text ON registry_subject
  FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text)
  EXECUTE FUNCTION registry_subject_grams_changed();
"""

DROP = """
DROP TRIGGER IF EXISTS registry_subject_grams_inserted ON registry_subject;
DROP TRIGGER IF EXISTS registry_subject_grams_updated ON registry_subject;
DROP FUNCTION IF EXISTS registry_subject_grams_inserted();
DROP FUNCTION IF EXISTS registry_subject_grams_changed();
DROP FUNCTION IF EXISTS registry_name_grams(bigint, text);
"""

FILL = (
    f"INSERT INTO registry_namegram ({COLUMNS}) "
    "SELECT g.gram, g.tier, g.length, g.name, g.subject_id, g.formers "
    "FROM registry_subject s CROSS JOIN LATERAL registry_name_grams(s.id, s.search_text) g "
    "WHERE s.id >= %s AND s.id < %s ON CONFLICT DO NOTHING"
)

# The range is filled when its last subject with a name of 2+ characters has its rows (each range
# is one statement: all of it or nothing).
FILLED = (
    "SELECT EXISTS (SELECT 1 FROM (SELECT id, search_text FROM registry_subject "
    "WHERE id >= %s AND id < %s AND char_length(split_part(search_text, E'\\n', 1)) >= 2 "
    "ORDER BY id DESC LIMIT 1) s CROSS JOIN LATERAL registry_name_grams(s.id, s.search_text) g "
    f"JOIN registry_namegram t ON {SAME_ROW})"
)


def fill_grams(apps, schema_editor):
    """The rows of every existing subject, one id range per statement."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM registry_subject")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, FILL_STEP):
            cursor.execute(FILLED, [start, start + FILL_STEP])
            if not cursor.fetchone()[0]:
                cursor.execute(FILL, [start, start + FILL_STEP])
        if not connection.in_atomic_block:  # index-only scans need the visibility map
            cursor.execute("VACUUM (ANALYZE) registry_namegram")


class Migration(migrations.Migration):
    atomic = False  # each fill step commits

    dependencies = [
        ("registry", "0018_subject_public_records_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # What CreateModel writes (`sqlmigrate`), with IF NOT EXISTS (a stopped run made it already)
            # and the former names in the key's index: a longer query tests them index-only.
            database_operations=[
                migrations.RunSQL(CREATE_TABLE, 'DROP TABLE IF EXISTS "registry_namegram"'),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="NameGram",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "gram",
                                "tier",
                                "length",
                                "name",
                                "subject",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("gram", models.CharField(db_collation="C", max_length=2)),
                        ("tier", models.SmallIntegerField()),
                        ("length", models.SmallIntegerField()),
                        ("name", models.TextField(db_collation="C")),
                        ("formers", models.TextField(blank=True, default="")),
                        (
                            "subject",
                            models.ForeignKey(
                                db_constraint=False,
                                db_index=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="registry.subject",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "name bigram",
                        "verbose_name_plural": "name bigrams",
                    },
                ),
            ],
        ),
        migrations.RunSQL(NAME_GRAMS + ";" + TRIGGERS, DROP),
        migrations.RunPython(fill_grams, migrations.RunPython.noop, elidable=True),
        # The name indexes of 0015 served the ranked search's exact and starting-with tiers and
        # its walk; NameGram does both now (DROP INDEX CONCURRENTLY IF EXISTS: can run again).
        RemoveIndexConcurrently(model_name="subject", name="registry_subject_name"),
        RemoveIndexConcurrently(model_name="subject", name="registry_subject_name_rank"),
    ]
