"""The ceiling of a lookup by code: a bare WSGI app over psycopg2, one persistent connection per
worker, the same columns as the API's subject (and its former names), JSON out. No framework, no
authentication, no access log: what the hardware and PostgreSQL allow.

    gunicorn bench.rawapp:application  (DATABASE_URL in the environment)
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
from urllib.parse import parse_qs

import psycopg2

COLUMNS = (
    "id, code, registration_number, name, subject_type, category_code, division_code, district, "
    "legal_representative, registered_address, industry, registered_capital, established_on, status"
)
_connection = None


def _cursor():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(os.environ["DATABASE_URL"])
        _connection.autocommit = True
    return _connection.cursor()


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def application(environ, start_response):
    code = (parse_qs(environ.get("QUERY_STRING", "")).get("code") or [""])[0]
    with _cursor() as cursor:
        cursor.execute(
            f"SELECT {COLUMNS}, (SELECT coalesce(json_agg(json_build_object('name', n.name, "  # noqa: S608
            "'used_until', n.used_until)), '[]') FROM registry_subjectname n WHERE n.subject_id = s.id) "
            "FROM registry_subject s WHERE s.code = %s",
            [code],
        )
        row = cursor.fetchone()
    if row is None:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"detail": "not found"}']
    names = [column.strip() for column in COLUMNS.split(",")] + ["former_names"]
    body = json.dumps(
        {name: _plain(value) for name, value in zip(names, row, strict=True)}, ensure_ascii=False
    )
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode()]
