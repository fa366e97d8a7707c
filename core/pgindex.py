"""Migration helpers for indexes built concurrently on large tables (issue 13).

A ``CREATE INDEX CONCURRENTLY`` that is stopped (a deploy cancelled, the process killed) leaves an
*invalid* index behind: PostgreSQL never uses it, and the next run of the migration fails with
"already exists". Migrations that build one on a city-sized table run this first, so they can be
run again after an interruption.
"""

from __future__ import annotations

from django.db import migrations


def drop_invalid_index(name: str) -> migrations.RunPython:
    """A ``RunPython`` dropping index ``name`` if (and only if) it exists and is invalid."""

    def run(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND NOT i.indisvalid",
                [name],
            )
            if cursor.fetchone():
                # The name comes from the migration's own source, never from input.
                cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')  # noqa: S608

    return migrations.RunPython(run, migrations.RunPython.noop, elidable=True)
