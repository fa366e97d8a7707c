"""Statements planned once per database session (core/prepared.py), on the real database: the
same rows as an ordinary statement, prepared once per connection and shape, prepared again after a
reconnection or ``DISCARD ALL``, a shape PostgreSQL cannot prepare run as it is without failing the
transaction around it, and nothing prepared behind a transaction-mode pooler."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import prepared
from registry.search import SearchFilters, search_subjects

SHAPE = "SELECT s.name FROM registry_subject s WHERE s.name LIKE %s ORDER BY s.name LIMIT %s"


def _held() -> list[str]:
    """The statements this session holds (PostgreSQL's own view of them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


def _run(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def _plain(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def names(make_subject):
    return [
        make_subject(name).name for name in ("北京甲科技有限公司", "北京乙科技有限公司", "上海丙贸易有限公司")
    ]


@pytest.mark.django_db
def test_a_shape_is_prepared_once_per_session_and_answers_as_the_plain_statement(names):
    for pattern, limit in (("北京%%", 10), ("%%科技%%", 1), ("%%贸易%%", 5), ("无%%", 3)):
        assert _run(SHAPE, [pattern.replace("%%", "%"), limit]) == _plain(
            SHAPE, [pattern.replace("%%", "%"), limit]
        )
    statements = [text for text in _held() if "registry_subject s WHERE s.name LIKE $1" in text]
    assert len(statements) == 1, statements


@pytest.mark.django_db
def test_each_execution_is_one_logged_query_that_shows_its_sql(names):
    _run(SHAPE, ["北京%", 10])  # prepared on this session
    with CaptureQueriesContext(connection) as captured:
        rows = _run(SHAPE, ["北京%", 10])
    assert [name for (name,) in rows] == sorted(names[:2])
    (query,) = captured.captured_queries
    assert "EXECUTE p_" in query["sql"] and "FROM registry_subject s WHERE s.name LIKE" in query["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_or_a_discarded_session_prepares_again(names):
    assert _run(SHAPE, ["北京%", 10]) == _plain(SHAPE, ["北京%", 10])
    connection.close()  # as CONN_MAX_AGE or a failed health check does
    assert _run(SHAPE, ["北京%", 1]) == _plain(SHAPE, ["北京%", 1])
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")  # what a pooler or an administrator may do
    assert not _held()
    assert _run(SHAPE, ["上海%", 10]) == [("上海丙贸易有限公司",)]
    assert len(_held()) == 1


@pytest.mark.django_db
def test_a_shape_that_cannot_be_prepared_runs_as_it_is_and_the_transaction_goes_on(make_subject):
    untyped = "SELECT %s + %s, (SELECT count(*) FROM registry_subject)"  # unknown + unknown
    with transaction.atomic():
        subject = make_subject("北京丁科技有限公司")
        assert _run(untyped, [1, 2]) == _plain(untyped, [1, 2]) == [(3, 1)]
        assert _run(untyped, [2, 2]) == [(4, 1)]
        subject.refresh_from_db()  # the transaction is usable: the subject made in it is there
    assert not [text for text in _held() if "SELECT $1 + $2" in text]


@pytest.mark.django_db
def test_behind_a_transaction_mode_pooler_nothing_is_prepared(names):
    shape = SHAPE.replace("LIMIT %s", "LIMIT 77")  # a shape no other test prepared on this session
    pooled = {**connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS": True}
    original = connection.settings_dict
    connection.settings_dict = pooled
    try:
        assert _run(shape, ["北京%"]) == _plain(shape, ["北京%"])
    finally:
        connection.settings_dict = original
    assert not [text for text in _held() if "LIMIT 77" in text]


@pytest.mark.django_db
def test_past_the_cap_of_shapes_statements_run_as_they_are(names, monkeypatch):
    monkeypatch.setattr(prepared, "MAX_PER_CONNECTION", 2)
    before = len(_held())
    for limit in range(4):  # four shapes: the LIMIT is written into each
        sql = SHAPE.replace("LIMIT %s", f"LIMIT {limit + 1}")
        assert _run(sql, ["北京%"]) == _plain(sql, ["北京%"])
    assert len(_held()) - before <= 2


@pytest.mark.django_db
def test_the_ranked_search_answers_the_same_prepared_or_not(make_subject):
    for name in (
        "北京科技有限公司",
        "北京科技发展有限公司",
        "科技北京有限公司",
        "上海有限公司北京科技分公司",
    ):
        make_subject(name)
    queries = [
        ("科技", SearchFilters()),
        ("北京科技", SearchFilters()),
        ("有限公司", SearchFilters(district="110108")),
    ]
    first = [search_subjects(query, filters).subject_ids for query, filters in queries]
    again = [search_subjects(query, filters).subject_ids for query, filters in queries]  # prepared now
    original = connection.settings_dict
    connection.settings_dict = {**original, "DISABLE_SERVER_SIDE_CURSORS": True}
    try:
        plain = [search_subjects(query, filters).subject_ids for query, filters in queries]
    finally:
        connection.settings_dict = original
    assert first == again == plain and first[0]


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_result_changed_type_is_prepared_again():
    """A migration run while workers hold the statement (a deployment) changes a column it
    returns: PostgreSQL refuses the old plan, and the statement is prepared again from its SQL."""
    sql = "SELECT label FROM prepared_probe WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (id int PRIMARY KEY, label varchar(10))")
        cursor.execute("INSERT INTO prepared_probe VALUES (1, 'short')")
    try:
        assert _run(sql, [1]) == [("short",)]
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE prepared_probe ALTER COLUMN label TYPE text")
            cursor.execute("UPDATE prepared_probe SET label = 'longer than ten characters'")
        assert _run(sql, [1]) == [("longer than ten characters",)]
        assert _run(sql, [1]) == [("longer than ten characters",)]
        assert len([text for text in _held() if "FROM prepared_probe" in text]) == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE prepared_probe")
