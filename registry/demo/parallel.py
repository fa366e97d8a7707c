"""Loader processes for a city-sized ``seed_demo`` (``--jobs``), and the index rebuild around it.

Generating the specs is sequential (one random stream; codes, names and document numbers unique
over the run), so the parent generates each chunk and reserves its primary keys from the tables'
sequences in chunk order, exactly as one process would. A forked child then builds the chunk's rows
(encryption, search grams, leaves, Merkle roots: most of the CPU), COPYs them in its own
transaction and, once the chunk before it has committed, chains its batch entries after the
ledger's head under the ledger lock and commits. The ledger is one chain in chunk order and the
rows are the same as with one process; each chunk commits with its ledger entries or not at all.
Children read their chunk from the parent's memory as it was at the fork (nothing is pickled), and
each holds at most one chunk.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from registry.demo import bulk
from registry.demo.generate import SubjectSpec


class _Abandoned(Exception):
    """A chunk before this one failed: this one rolls back instead of chaining after a gap."""


def _run(
    specs: list[SubjectSpec],
    ids: bulk.ChunkIds,
    context: bulk.BulkContext,
    previous: _Turn | None,
    turn: _Turn,
    send: Any,
) -> None:
    """One chunk in a child: build and COPY, wait for the chunk before, chain, commit."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            built = bulk.build_chunk(cursor, specs, context, ids)
            if previous is not None:
                previous.done.wait()
                if not previous.committed.value:
                    raise _Abandoned
            counts = bulk.chain_chunk(cursor, built, context)
        turn.committed.value = 1
        send.send(("ok", counts))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
        try:
            send.send(("error", exc))
        except Exception:  # noqa: BLE001 - not picklable: its text instead
            send.send(("error", RuntimeError(repr(exc))))
    finally:
        turn.done.set()
        connection.close()


@dataclass
class _Turn:
    """A chunk's place in the ledger's order: set when it has committed (or given up)."""

    done: Any  # multiprocessing Event
    committed: Any  # multiprocessing Value, 1 once its rows and entries are committed


@dataclass
class _Worker:
    process: Any
    receive: Any
    # Held here: ``Process.start`` drops its arguments in the parent, and shared memory freed by
    # the parent is handed to the next chunk's turn while a child may still read it.
    turns: tuple[_Turn | None, _Turn]


def _finish(worker: _Worker, report: Callable[[bulk.ChunkCounts], None]) -> None:
    try:
        status, payload = worker.receive.recv()
    except EOFError:
        status, payload = "error", RuntimeError(f"loader process exited with {worker.process.exitcode}")
    worker.process.join()
    worker.receive.close()
    if status != "ok":
        if isinstance(payload, _Abandoned):
            payload = RuntimeError("an earlier chunk failed")
        raise payload
    report(payload)


def load(
    chunks: Iterable[list[SubjectSpec]],
    context: bulk.BulkContext,
    jobs: int,
    report: Callable[[bulk.ChunkCounts], None],
) -> None:
    """Load ``chunks`` with up to ``jobs`` children at a time; ``report`` gets each chunk's counts
    in order. Chunks before a failure stay committed (as with one process); the failure is raised."""
    if connection.in_atomic_block:
        raise RuntimeError("loader processes commit on their own: not inside a transaction")
    fork = multiprocessing.get_context("fork")
    running: deque[_Worker] = deque()
    previous: _Turn | None = None
    try:
        for specs in chunks:
            with connection.cursor() as cursor:
                ids = bulk.reserve_chunk(cursor, specs)
            while len(running) >= jobs:
                _finish(running.popleft(), report)
            connection.close()  # a child must never share the parent's session
            turn = _Turn(fork.Event(), fork.Value("b", 0))
            receive, send = fork.Pipe(duplex=False)
            process = fork.Process(target=_run, args=(specs, ids, context, previous, turn, send), daemon=True)
            process.start()
            send.close()
            running.append(_Worker(process, receive, (previous, turn)))
            previous = turn
        while running:
            _finish(running.popleft(), report)
    finally:
        for worker in running:  # after a failure: a chunk after the failed one rolls back
            worker.process.join(timeout=600)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()


# -- secondary indexes ---------------------------------------------------------------------------


def drop_indexes(tables: Iterable[type[models.Model]]) -> list[tuple[str, str]]:
    """Drop the secondary indexes of ``tables`` (neither primary keys nor unique constraints, which
    the load must keep checking); returns (name, definition) to build them again."""
    names = [model._meta.db_table for model in tables]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT index.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class index ON index.oid = i.indexrelid
            JOIN pg_class owner ON owner.oid = i.indrelid
            WHERE owner.relname = ANY(%s) AND owner.relnamespace = 'public'::regnamespace
              AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY pg_relation_size(i.indexrelid) DESC, index.relname
            """,
            [names],
        )
        dropped = cursor.fetchall()
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    return dropped


def drop_primary_key(model: type[models.Model]) -> str:
    """Drop the primary key of a derived table whose rows are unique by construction (the name
    bigrams that the subjects' insert trigger writes: registry/migrations/0019): a large load
    fills it faster without its one index, built once after. Returns the statement that adds
    it again ("" when there is none)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'p'",
            [table],
        )
        found = cursor.fetchone()
        if found is None:
            return ""
        # Names from the catalogue and the model's metadata, never from input.
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{found[0]}"')
    return f'ALTER TABLE "{table}" ADD CONSTRAINT "{found[0]}" {found[1]}'


def _create(definition: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    finally:
        if not connection.in_atomic_block:
            connection.close()  # a thread's own connection


def create_indexes(dropped: list[tuple[str, str]], jobs: int = 1) -> None:
    """Build the indexes ``drop_indexes`` dropped: ``jobs`` at a time, each on its own connection
    (PostgreSQL builds one index per backend; the largest are started first)."""
    if not dropped:
        return
    if jobs <= 1 or connection.in_atomic_block:
        with connection.cursor() as cursor:
            for _name, definition in dropped:
                cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        return
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(_create, definition) for _name, definition in dropped]:
            future.result()
