"""The city-scale measurements over HTTP and of the jobs (issue 13), each beside its ceiling or peer
measured in the same run:

- lookups by code: the API vs a raw WSGI + psycopg2 app (ceiling) and datasette (peer);
- public pages: home, subject (busiest subjects included), a list, the 双公示 feed; home vs subject;
- search, page and API, 2 and 4 characters, common and rare, uncached (that server runs with
  ``PAGE_CACHE_SECONDS=0``, so every page and result is computed; API keys, quotas and sessions
  stay in Redis as in production): single user (p95) and 16 connections
  vs datasette (LIKE for 2 characters, FTS5 trigram for 4);
- every filter of the API list endpoints, single user (p95 against 100 ms);
- jobs vs the raw set-based SQL doing the same change (rolled back): expire, checkpoint;
- RSS of each web worker under load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection

from bench import http
from bench.measure import raw_connection, row

DATA = http.ROOT / ".data" / "bench"
RAW_FIELDS = "id, code, registration_number, name, subject_type, category_code, division_code, district"


# -- setup -------------------------------------------------------------------------------------


def server_env(*, cached: bool = True) -> dict[str, str]:
    """The production settings of the README (DEBUG off, persistent connections) with the keys the
    data was encrypted with; ``cached=False`` switches page caching off (``PAGE_CACHE_SECONDS=0``:
    every page and search result computed on every request). Until run 20261130T184456Z the
    uncached server had no Redis at all, which also read the API key and wrote its log row with a
    commit on every request: not what "uncached" means for a search, nor a production set-up."""
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(),
            "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
            "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
            "REPORT_SIGNING_KEY": _signing_key(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "http://127.0.0.1",
            "CONN_MAX_AGE": "600",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            # Plain HTTP on loopback: TLS ends at the proxy in production, which is not measured.
            "SECURE_SSL_REDIRECT": "false",
            # wrk is one address standing for a city's visitors: the per-address limits would
            # answer it 429 (measured as errors, not pages).
            "RATELIMIT_PUBLIC": "100000000/m",
            "RATELIMIT_SEARCH": "100000000/m",
            "LOG_LEVEL": "WARNING",
        }
    )
    if not cached:
        env["PAGE_CACHE_SECONDS"] = "0"
    return env


def _signing_key() -> str:
    """The key this process signs with (checkpoints signed by the job here and by the server agree)."""
    import base64

    from core import signing

    return base64.b64encode(signing.private_key().private_bytes_raw()).decode()


def api_key() -> str:
    """A key of a benchmark agency with every read scope and quotas no run reaches."""
    from accounts.choices import Scope
    from accounts.models import Agency, ApiKey

    agency, _made = Agency.objects.get_or_create(
        name="基准测试", defaults={"contact_name": "bench", "contact_email": "bench@example.com"}
    )
    key = ApiKey(
        agency=agency,
        name=f"bench {dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}",
        scopes=[Scope.SUBJECTS_READ, Scope.RECORDS_READ],
        per_minute=10_000_000,
        per_day=1_000_000_000,
    )
    raw = key.assign_new_key()
    key.save()
    return raw


def sample(cursor, sql: str, params=()) -> list:
    cursor.execute(sql, params)
    return [r[0] if len(r) == 1 else r for r in cursor.fetchall()]


def export_sqlite(path: Path) -> None:
    """The same subjects and public records in SQLite for datasette, names in an FTS5 trigram index."""
    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(path)
    target.execute(
        "CREATE TABLE subjects (id INTEGER PRIMARY KEY, code TEXT, registration_number TEXT, name TEXT, "
        "subject_type TEXT, category_code TEXT, division_code TEXT, district TEXT)"
    )
    target.execute(
        "CREATE TABLE records (id INTEGER PRIMARY KEY, subject_id INTEGER, category TEXT, document_number "
        "TEXT, case_name TEXT, decision_date TEXT, severity TEXT, published_at TEXT)"
    )
    raw = raw_connection()
    raw.autocommit = False  # named (server-side) cursors live in a transaction
    with raw.cursor("export_subjects") as cursor:
        cursor.itersize = 50_000
        cursor.execute(f"SELECT {RAW_FIELDS} FROM registry_subject")  # noqa: S608
        target.executemany("INSERT INTO subjects VALUES (?,?,?,?,?,?,?,?)", cursor)
    with raw.cursor("export_records") as cursor:
        cursor.itersize = 50_000
        cursor.execute(
            "SELECT id, subject_id, category, document_number, case_name, decision_date::text, severity, "
            "published_at::text FROM registry_creditrecord WHERE status = 'published'"
        )
        target.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?)", cursor)
    raw.close()
    target.execute("CREATE UNIQUE INDEX subjects_code ON subjects (code)")
    target.execute("CREATE INDEX records_subject ON records (subject_id)")
    target.execute(
        "CREATE VIRTUAL TABLE subjects_fts USING fts5(name, content='subjects', content_rowid='id', "
        "tokenize='trigram')"
    )
    target.execute("INSERT INTO subjects_fts (rowid, name) SELECT id, name FROM subjects")
    target.commit()
    target.close()


# -- the run -----------------------------------------------------------------------------------


def measure(args) -> list[dict]:
    logs = DATA / "logs"
    rows: list[dict] = []
    key = api_key()
    header = f"Authorization: Api-Key {key}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM registry_subject")
        low, high = cursor.fetchone()
        rng = random.Random(args.seed)
        ids = [rng.randint(low, high) for _ in range(2000)]
        codes = sample(cursor, "SELECT code FROM registry_subject WHERE id = ANY(%s)", [ids])
        busiest = sample(
            cursor,
            "SELECT s.code FROM registry_subject s JOIN (SELECT subject_id, count(*) n FROM "
            "registry_creditrecord WHERE status = 'published' GROUP BY subject_id ORDER BY n DESC LIMIT 20) "
            "b ON b.subject_id = s.id",
        )
        department = sample(cursor, "SELECT code FROM registry_department ORDER BY id LIMIT 1")[0]
        rare_name = sample(
            cursor, "SELECT name FROM registry_subject WHERE name LIKE '北京%%' ORDER BY id LIMIT 1"
        )
    rng.shuffle(codes)
    rare2 = rare_name[0][2:4] if rare_name else "华信"
    rare4 = rare_name[0][2:6] if rare_name else "华信科技"
    queries = [
        ("2-char common", "科技"),
        ("2-char rare", rare2),
        ("4-char common", "科技有限"),
        ("4-char rare", rare4),
    ]

    print("  exporting the same rows to SQLite for datasette ...", flush=True)
    database = DATA / "bench.db"
    started = time.perf_counter()
    export_sqlite(database)
    print(f"  exported in {time.perf_counter() - started:.0f} s", flush=True)

    workers = args.workers
    platform = http.gunicorn("platform", "credit_platform.wsgi", server_env(), workers, logs, "/healthz")
    uncached = http.gunicorn(
        "uncached", "credit_platform.wsgi", server_env(cached=False), workers, logs, "/healthz"
    )
    raw_env = dict(os.environ)
    ceiling = http.gunicorn("raw", "bench.rawapp:application", raw_env, workers, logs, f"/?code={codes[0]}")
    peer = http.datasette(database, logs)
    load = {"duration": args.duration, "connections": args.connections}
    single = {"duration": max(5, args.duration // 2), "connections": 1, "threads": 1}
    with http.running(platform, uncached, ceiling, peer):
        # Lookups by code -----------------------------------------------------------------------
        print("  lookups by code ...", flush=True)
        api_paths = [f"/api/v1/subjects/{code}" for code in codes]
        api = http.wrk(platform.base, api_paths, header=header, **load)
        rss = platform.worker_rss_mb()
        raw = http.wrk(ceiling.base, [f"/?code={code}" for code in codes], **load)
        peer_lookup = http.wrk(
            peer.base, [f"/bench/subjects.json?code={code}&_shape=array" for code in codes], **load
        )
        rows.append(_http_row("API GET /api/v1/subjects/<code>", api, "raw WSGI + psycopg2 (ceiling)", raw))
        rows.append(_http_row("API GET /api/v1/subjects/<code>", api, "datasette ?code= (peer)", peer_lookup))
        rows.append(
            row(
                "RSS per web worker under load",
                f"{len(rss)} gunicorn workers",
                max(rss) if rss else 0,
                "MB",
                "target 250 MB",
                250,
                "max over workers after the API lookup load: " + ", ".join(f"{size:.0f}" for size in rss),
            )
        )
        # Public pages ------------------------------------------------------------------------
        print("  public pages ...", flush=True)
        subject_pages = [f"/subject/{code}/" for code in (busiest + codes[:200])]
        subject = http.wrk(platform.base, subject_pages, **load)
        home = http.wrk(platform.base, ["/"], **load)
        rows.append(_http_row("home page /", home, "subject pages (busiest subjects included)", subject))
        for label, paths in (
            (
                "list page /lists/serious-dishonesty/",
                ["/lists/serious-dishonesty/", "/lists/serious-dishonesty/?page=3"],
            ),
            ("双公示 feed /publicity/", ["/publicity/", "/publicity/?kind=penalty"]),
            ("subject page of the busiest subjects", [f"/subject/{code}/" for code in busiest]),
        ):
            result = http.wrk(platform.base, paths, **load)
            rows.append(_http_row(label, result, "subject pages", subject))
        uncached_subject = http.wrk(uncached.base, subject_pages, **single)
        uncached_home = http.wrk(uncached.base, ["/"], **single)
        rows.append(_latency_row("home page, uncached, single user", uncached_home))
        rows.append(_latency_row("subject pages, uncached, single user", uncached_subject))
        # Search ------------------------------------------------------------------------------
        print("  search, uncached ...", flush=True)
        for label, term in queries:
            page_paths = [f"/search/?{urlencode({'q': term})}"]
            api_search = [f"/api/v1/subjects?{urlencode({'q': term})}"]
            if len(term) >= 3:
                peer_paths = [
                    f"/bench/subjects_fts.json?{urlencode({'_search': term, '_size': 20})}&_shape=array"
                ]
                peer_label = "datasette FTS5 trigram"
            else:
                peer_paths = [
                    f"/bench/subjects.json?{urlencode({'name__contains': term, '_size': 20})}&_shape=array"
                ]
                peer_label = "datasette name__contains"
            peer_result = http.wrk(peer.base, peer_paths, **load)
            page_single = http.wrk(uncached.base, page_paths, **single)
            page_load = http.wrk(uncached.base, page_paths, **load)
            api_single = http.wrk(uncached.base, api_search, header=header, **single)
            api_load = http.wrk(uncached.base, api_search, header=header, **load)
            rows.append(_latency_row(f"search page '{term}' ({label}), single user", page_single))
            rows.append(_latency_row(f"API ?q='{term}' ({label}), single user", api_single))
            rows.append(
                _http_row(f"search page '{term}' ({label})", page_load, f"{peer_label} (peer)", peer_result)
            )
            rows.append(
                _http_row(f"API ?q='{term}' ({label})", api_load, f"{peer_label} (peer)", peer_result)
            )
        # API filters -------------------------------------------------------------------------
        print("  API list filters, single user ...", flush=True)
        a_code = codes[0]
        filters = [
            ("/api/v1/subjects", {"has_dishonesty": "true"}),
            ("/api/v1/subjects", {"has_dishonesty": "false"}),
            ("/api/v1/subjects", {"category": "serious_dishonesty"}),
            ("/api/v1/subjects", {"category": "licence"}),
            ("/api/v1/subjects", {"district": "110108"}),
            ("/api/v1/subjects", {"type": "individual_business"}),
            ("/api/v1/subjects", {"updated_since": "2020-01-01T00:00:00Z"}),
            ("/api/v1/records", {}),
            ("/api/v1/records", {"category": "penalty"}),
            ("/api/v1/records", {"category": "serious_dishonesty"}),
            ("/api/v1/records", {"department": department}),
            ("/api/v1/records", {"severity": "serious"}),
            ("/api/v1/records", {"sector": "drugs"}),
            ("/api/v1/records", {"procedure": "simplified"}),
            ("/api/v1/records", {"penalty_type": "licence_revocation"}),
            ("/api/v1/records", {"district": "110108"}),
            ("/api/v1/records", {"decision_date_after": "2025-01-01", "decision_date_before": "2025-01-31"}),
            ("/api/v1/records", {"published_since": "2026-10-01T00:00:00Z"}),
            ("/api/v1/records", {"subject": a_code}),
        ]
        for path, params in filters:
            url = f"{path}?{urlencode(params)}" if params else path
            result = http.wrk(uncached.base, [url], header=header, **single)
            rows.append(_latency_row(f"API {url}", result, target_ms=100))
    return rows


def _http_row(measure: str, candidate: dict, reference_label: str, reference: dict) -> dict:
    return row(
        measure,
        f"{candidate['rps']:,.0f} req/s, p50 {candidate['p50_ms']:.1f} / p95 {candidate['p95_ms']:.1f} / "
        f"p99 {candidate['p99_ms']:.1f} ms",
        candidate["rps"],
        "req/s",
        f"{reference_label}: p99 {reference['p99_ms']:.1f} ms",
        reference["rps"],
        f"{candidate['connections']} connections, errors {candidate['errors']}, "
        f"non-2xx {candidate['non_2xx']}; reference errors {reference['errors']}, "
        f"non-2xx {reference['non_2xx']}",
    ) | {"candidate_http": candidate, "reference_http": reference}


def _latency_row(measure: str, result: dict, target_ms: float = 100) -> dict:
    return row(
        measure,
        f"p50 {result['p50_ms']:.1f} / p99 {result['p99_ms']:.1f} ms, {result['rps']:,.0f} req/s",
        result["p95_ms"],
        "ms",
        f"target p95 {target_ms:.0f} ms",
        target_ms,
        f"1 connection, {result['requests']} requests, errors {result['errors']}, "
        f"non-2xx {result['non_2xx']}",
    ) | {"candidate_http": result}


# -- jobs ----------------------------------------------------------------------------------------


def _expiry_date(target_rows: int) -> dt.date | None:
    """The first day on which about ``target_rows`` published records are past their publicity."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT publish_until FROM registry_creditrecord WHERE status = 'published' AND publish_until "
            "IS NOT NULL AND repair_approved_at IS NULL ORDER BY publish_until OFFSET %s LIMIT 1",
            [target_rows],
        )
        found = cursor.fetchone()
    return found[0] if found else None


# The job's three changes (registry/publication.py expire_publicity), each one UPDATE ... RETURNING
# feeding one INSERT of the transitions: records past their publicity, records whose repair was
# approved, list entries past their end.
RAW_EXPIRE_STEPS = [
    (
        "status = 'published' AND publish_until <= %(day)s AND repair_approved_at IS NULL",
        "expired",
        "The maximum publicity period ended.",
    ),
    ("status = 'published' AND repair_approved_at IS NOT NULL", "repaired", "Credit repair approved."),
    (
        "status = 'published' AND category = ANY(%(lists)s) AND valid_until < %(day)s",
        "expired",
        "The list entry ended.",
    ),
]
RAW_EXPIRE = """
WITH changed AS (
    UPDATE registry_creditrecord SET status = '{to}', updated_at = now() WHERE {where} RETURNING id
)
INSERT INTO registry_recordtransition (record_id, from_status, to_status, actor_name, reason, created_at)
SELECT id, 'published', '{to}', 'system', '{reason}', now() FROM changed
"""

RAW_TREE = """
CREATE TEMP TABLE bench_nodes ON COMMIT DROP AS
SELECT 0 AS level, seq - 1 AS index, sha256('\\x00'::bytea || decode(hash, 'hex')) AS hash
FROM core_ledgerentry;
"""
RAW_LEVEL = """
INSERT INTO bench_nodes
SELECT %(level)s, index / 2, sha256('\\x01'::bytea || string_agg(hash, ''::bytea ORDER BY index))
FROM bench_nodes WHERE level = %(below)s GROUP BY index / 2 HAVING count(*) = 2
"""


def checkpoint() -> None:
    """A CHECKPOINT before each side of a job's measure: the first change to a page after one
    writes the whole page to the WAL, so each side pays its own full-page writes. Without it the
    side that ran second paid them or not depending on whether the first side's WAL (about 27 kB
    a record at 1M subjects: a record's 30-odd index entries) had set off a checkpoint: the raw
    side read 22 to 38 s for the same change in two runs."""
    conn = raw_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    finally:
        conn.close()


def measure_jobs(args) -> list[dict]:
    from core import transparency
    from registry import publication
    from registry.choices import LIST_CATEGORIES

    rows = []
    day = _expiry_date(args.expire_rows)
    if day is None:
        print("  expire_publicity: no records with a publicity end")
    else:
        print(f"  jobs: expire_publicity on {day} ...", flush=True)
        raw, flusher = raw_connection(), raw_connection()
        raw.autocommit = False
        with raw.cursor() as cursor, flusher.cursor() as flush:
            checkpoint()
            started = time.perf_counter()
            changed = 0
            for where, to, reason in RAW_EXPIRE_STEPS:
                cursor.execute(
                    RAW_EXPIRE.format(where=where, to=to, reason=reason),
                    {"day": day, "lists": list(LIST_CATEGORIES)},
                )
                changed += cursor.rowcount
            executed = time.perf_counter() - started
            # What its COMMIT would add, as the job's commits do: waiting until the WAL the
            # statements wrote is on disk. Any commit that wrote WAL flushes every record before
            # it, so a throwaway one on a second connection does, and the change is rolled back.
            flush.execute("CREATE TEMP TABLE bench_flush (x int)")
            raw_seconds = time.perf_counter() - started
        raw.rollback()
        raw.close()
        flusher.close()
        checkpoint()
        started = time.perf_counter()
        counts = publication.expire_publicity(day)
        job_seconds = time.perf_counter() - started
        rows.append(
            row(
                "job expire_publicity",
                f"{sum(counts.values()):,} records (+ transitions, ledger, cache)",
                job_seconds,
                "s",
                f"raw UPDATE + transition INSERT of the same {changed:,} rows, WAL flushed (rolled back)",
                raw_seconds,
                f"{counts} in {job_seconds:.1f} s vs {raw_seconds:.1f} s ({executed:.1f} s executing, "
                f"{raw_seconds - executed:.1f} s flushing its WAL); target: within 2x",
            )
        )
    print("  jobs: checkpoint (Merkle nodes of the whole ledger) ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_merklenode")
        (nodes_before,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM core_ledgerentry")
        (entries,) = cursor.fetchone()
    raw = raw_connection()
    raw.autocommit = False
    with raw.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(RAW_TREE)
        level = 1
        while True:
            cursor.execute(RAW_LEVEL, {"level": level, "below": level - 1})
            if cursor.rowcount == 0:
                break
            level += 1
        raw_seconds = time.perf_counter() - started
    raw.rollback()
    raw.close()
    started = time.perf_counter()
    signed = transparency.sign_checkpoint()
    job_seconds = time.perf_counter() - started
    rows.append(
        row(
            "job sign_checkpoint",
            f"{entries:,} ledger entries ({nodes_before:,} nodes stored before)",
            job_seconds,
            "s",
            "raw SQL sha256 of every level (rolled back)",
            raw_seconds,
            f"{signed}; target: within 2x",
        )
    )
    return rows
