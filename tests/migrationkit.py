"""Testing a migration on data made by the schema before it (STYLE: a migration that moves or
reshapes data is tested on the previous schema's data)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextmanager
def schema_at(*targets: tuple[str, str | None]) -> Iterator[MigrationExecutor]:
    """The database migrated back to ``targets`` (an app's migration, or ``(app, None)``: none of
    it) for the block (its models: ``executor.loader.project_state(list(targets)).apps``), then
    forward to the latest migrations again, whatever the block raised. Tests using it need
    ``django_db(transaction=True)``."""
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
