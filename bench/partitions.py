"""Does partitioning pay (issue 13, docs/scaling.md section 4): the records by decision year, the
ledger by sequence range?

The same rows are copied into a table partitioned by ``decision_date`` (one partition a year), with
the indexes of the paths measured copied from the real table's definitions, and the reads that
partition pruning could help are timed on both, warm, in the same run: the newest public records,
one month of them (pruned to one year), a busy subject's, a category's, and the expiry job's scan
of records past their publicity. Also what the change itself costs: copying the rows and building
the indexes (the migration path of docs/scaling.md does that online, partition by partition).
The copy is dropped afterwards. For the ledger, what a partition changes is where appends go: a
bulk change's batch items are appended to the whole items table and to an empty one of the same
shape (a new partition), rolled back.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

from bench.measure import raw_connection, row

TABLE = "registry_creditrecord"
COPY = "bench_part_records"
# The indexes the measured reads use (registry/models/records.py), copied by definition.
INDEXES = (
    "registry_record_pub_recent",
    "registry_record_pub_by_subject",
    "registry_record_pub_cate",
    "registry_record_expiring",
)
REPEAT = 30


def _definition(cursor, index: str) -> str:
    cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s", [TABLE, index])
    found = cursor.fetchone()
    if found is None:
        raise SystemExit(f"index {index} is missing on {TABLE}: run the migrations first")
    return str(found[0])


def _predicate(cursor, index: str) -> str:
    """The partial index's WHERE: the reads below state it, so both tables use their index."""
    where = re.search(r"\bWHERE (.*)$", _definition(cursor, index))
    return where.group(1) if where else "true"


def _build(cursor) -> tuple[float, float, list[int]]:
    """The partitioned copy: (seconds to copy the rows, seconds to build the indexes, years)."""
    cursor.execute(f"DROP TABLE IF EXISTS {COPY}")
    cursor.execute(
        "SELECT extract(year FROM min(decision_date))::int, extract(year FROM max(decision_date))::int "
        f"FROM {TABLE}"
    )
    first, last = cursor.fetchone()
    years = list(range(first, last + 1))
    cursor.execute(
        f"CREATE TABLE {COPY} (LIKE {TABLE} INCLUDING DEFAULTS) PARTITION BY RANGE (decision_date)"
    )
    for year in years:
        cursor.execute(
            f"CREATE TABLE {COPY}_{year} PARTITION OF {COPY} "
            f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
        )
    cursor.execute(f"CREATE TABLE {COPY}_other PARTITION OF {COPY} DEFAULT")
    started = time.perf_counter()
    cursor.execute(f"INSERT INTO {COPY} SELECT * FROM {TABLE}")
    copied = time.perf_counter() - started
    started = time.perf_counter()
    for index in INDEXES:
        definition = _definition(cursor, index)
        cursor.execute(
            definition.replace(f"INDEX {index} ON public.{TABLE} ", f"INDEX {COPY}_{index[9:]} ON {COPY} ")
        )
    cursor.execute(f"VACUUM (ANALYZE) {COPY}")
    return copied, time.perf_counter() - started, years


def _timed(cursor, sql: str, params: list) -> float:
    """Median seconds of ``sql`` over REPEAT runs, after three to warm the cache."""
    times = []
    for attempt in range(REPEAT + 3):
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        if attempt >= 3:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure_partitions(args) -> list[dict]:
    raw = raw_connection()
    rows = []
    with raw.cursor() as cursor:
        public = _predicate(cursor, "registry_record_pub_recent")
        by_subject = _predicate(cursor, "registry_record_pub_by_subject")
        expiring = _predicate(cursor, "registry_record_expiring")
        cursor.execute(
            f"SELECT subject_id FROM {TABLE} WHERE {by_subject} "
            "GROUP BY subject_id ORDER BY count(*) DESC LIMIT 1"
        )
        (busiest,) = cursor.fetchone()
        cursor.execute(f"SELECT max(decision_date) FROM {TABLE} WHERE {public}")
        (newest,) = cursor.fetchone()
        cursor.execute(
            f"SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY publish_until) FROM {TABLE} WHERE {expiring}"
        )
        (median_end,) = cursor.fetchone()
        print(f"  partitions: copying {TABLE} into {COPY} by decision year ...", flush=True)
        copied, indexed, years = _build(cursor)
        month = newest.replace(day=1)
        reads = [
            (
                "newest 20 public records (API /records, home)",
                f"SELECT id FROM {{table}} WHERE {public} ORDER BY decision_date DESC, id DESC LIMIT 20",
                [],
            ),
            (
                "one month's newest 20 (decision_date range: pruned to one year)",
                f"SELECT id FROM {{table}} WHERE {public} AND decision_date >= %s AND decision_date < %s "
                "ORDER BY decision_date DESC, id DESC LIMIT 20",
                [month, (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)],
            ),
            (
                "the busiest subject's penalties, newest 20 (subject page)",
                f"SELECT id FROM {{table}} WHERE {by_subject} AND subject_id = %s AND category = 'penalty' "
                "ORDER BY decision_date DESC, id DESC LIMIT 20",
                [busiest],
            ),
            (
                "a category's newest 20 (list page, API ?category=)",
                f"SELECT id FROM {{table}} WHERE {public} AND category = 'serious_dishonesty' "
                "ORDER BY decision_date DESC, id DESC LIMIT 20",
                [],
            ),
            (
                "records past their publicity on a day, counted (expire_publicity's scan)",
                f"SELECT count(*) FROM {{table}} WHERE {expiring} AND publish_until <= %s",
                [median_end],
            ),
        ]
        for label, sql, params in reads:
            plain = _timed(cursor, sql.format(table=TABLE), params)
            parted = _timed(cursor, sql.format(table=COPY), params)
            rows.append(
                row(
                    "partitioned by decision year",
                    label,
                    parted * 1000,
                    "ms",
                    "the same read on the unpartitioned table",
                    plain * 1000,
                    f"median of {REPEAT} warm runs; {len(years)} yearly partitions ({years[0]}-{years[-1]})",
                )
            )
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        (records,) = cursor.fetchone()
        rows.append(
            row(
                "partitioned by decision year",
                "the change itself: copy the rows, build the measured indexes",
                copied + indexed,
                "s",
                "(what the migration path rewrites)",
                copied + indexed,
                f"{records:,} records copied in {copied:.0f} s, "
                f"{len(INDEXES)} indexes built in {indexed:.0f} s",
            )
        )
        cursor.execute(f"DROP TABLE {COPY}")
        rows.append(_ledger_appends(cursor))
        rows.append(_entry_appends(cursor, args.ledger_entries))
    raw.close()
    return rows


LEDGER_ITEMS = "core_ledgeritem"
APPENDED = 50_000  # a bulk change's items: an import of 50,000 rows, a day's expiries


def _ledger_appends(cursor) -> dict:
    """A bulk change's ledger items appended to the whole ``core_ledgeritem`` (its indexes as big
    as the ledger) and to an empty table of the same shape: the newest partition of a ledger
    partitioned by sequence range, whose indexes start small. Both rolled back."""
    cursor.execute(f"SELECT count(*), coalesce(max(entry_seq), 0) FROM {LEDGER_ITEMS}")
    items, last_seq = cursor.fetchone()
    cursor.execute(f"DROP TABLE IF EXISTS {COPY}_ledger")
    cursor.execute(f"CREATE TABLE {COPY}_ledger (LIKE {LEDGER_ITEMS} INCLUDING ALL)")
    columns = "entry_seq, position, object_type, object_id, leaf"
    values = (
        f"SELECT {last_seq} + 1 + g / 4096, g %% 4096, 'registry.creditrecord', "
        "(20000000 + g * 7919 %% 9000000)::text, sha256(g::text::bytea) FROM generate_series(0, %s) g"
    )
    timings = {}
    for table in (LEDGER_ITEMS, f"{COPY}_ledger"):
        runs = []
        for _attempt in range(3):
            cursor.execute("BEGIN")
            started = time.perf_counter()
            cursor.execute(f"INSERT INTO {table} ({columns}) {values}", [APPENDED - 1])
            runs.append(time.perf_counter() - started)
            cursor.execute("ROLLBACK")
        timings[table] = statistics.median(runs)
    cursor.execute(f"DROP TABLE {COPY}_ledger")
    return row(
        "partitioned ledger by sequence range",
        f"{APPENDED:,} batch items appended to a new, empty partition",
        timings[f"{COPY}_ledger"],
        "s",
        f"the same appended to core_ledgeritem ({items:,} items)",
        timings[LEDGER_ITEMS],
        "median of 3, each rolled back; the same columns and indexes",
    )


LEDGER = "core_ledgerentry"
APPENDED_ENTRIES = 20_000  # changes appended one statement each, as the services append them


def _entry_appends(cursor, entries: int) -> dict:
    """The per-change ledger as a city's would be after years of operation (``entries`` entries,
    about two per record: the seeded one holds batch entries only), built beside it with the same
    columns and indexes (its unique hash, the object and action indexes) and smaller payloads,
    then 20,000 entries appended one statement each to it and to an empty table of the same
    shape (a new partition), rolled back."""
    big, empty = f"{COPY}_entries", f"{COPY}_entries_new"
    for table in (big, empty):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TABLE {big} (LIKE {LEDGER} INCLUDING DEFAULTS)")
    print(f"  partitions: a ledger of {entries:,} entries ...", flush=True)
    row_sql = (
        "SELECT {seq}, now(), 'record.published', 'registry.creditrecord', ({seq} %% 10000000)::text, "
        "NULL, '', '', NULL, jsonb_build_object('status', 'published', 'id', {seq}), "
        "encode(sha256(({seq} - 1)::text::bytea), 'hex'), encode(sha256({seq}::text::bytea), 'hex')"
    )
    columns = (
        "seq, created_at, action, object_type, object_id, actor_id, actor_name, request_id, before, "
        "after, prev_hash, hash"
    )
    cursor.execute(
        f"INSERT INTO {big} ({columns}) {row_sql.format(seq='g')} FROM generate_series(1, %s) g", [entries]
    )
    cursor.execute(f"CREATE TABLE {empty} (LIKE {LEDGER} INCLUDING ALL)")
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
        [LEDGER],
    )
    definitions = [definition for (definition,) in cursor.fetchall()]
    cursor.execute(f"ALTER TABLE {big} ADD PRIMARY KEY (seq), ADD UNIQUE (hash)")
    for number, definition in enumerate(definitions):
        target = re.sub(
            r"^CREATE INDEX \S+ ON public\.\S+ ", f"CREATE INDEX {big}_{number} ON {big} ", definition
        )
        cursor.execute(target)
    cursor.execute(f"VACUUM (ANALYZE) {big}")
    timings = {}
    for table, first in ((big, entries + 1), (empty, 1)):
        runs = []
        for _attempt in range(3):
            cursor.execute("BEGIN")
            started = time.perf_counter()
            for seq in range(first, first + APPENDED_ENTRIES):
                cursor.execute(f"INSERT INTO {table} ({columns}) {row_sql.format(seq='%s')}", [seq] * 5)
            runs.append(time.perf_counter() - started)
            cursor.execute("ROLLBACK")
        timings[table] = statistics.median(runs)
    cursor.execute(f"SELECT pg_total_relation_size('{big}')")
    (size,) = cursor.fetchone()
    for table in (big, empty):
        cursor.execute(f"DROP TABLE {table}")
    return row(
        "partitioned ledger by sequence range",
        f"{APPENDED_ENTRIES:,} ledger entries appended one statement each to a new, empty partition",
        timings[empty],
        "s",
        f"the same appended to a ledger of {entries:,} entries ({size / 2**30:.1f} GB with its indexes)",
        timings[big],
        "median of 3, each rolled back; the same columns and indexes as core_ledgerentry",
    )
