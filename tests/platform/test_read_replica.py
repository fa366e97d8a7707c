"""The database router against a real streaming replica (credit_platform/dbrouter.py).

A primary and a hot standby of it (``pg_basebackup -R``) are started on unix sockets under a
temporary directory, with the PostgreSQL binaries of the embedded server; the standby's replay is
paused to show what a lagging replica would serve. Public GETs read the replica, writes go to the
primary, and the session that wrote reads its write even while the replica lags behind it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from credit_platform import dbrouter
from registry.models import Department

pytestmark = pytest.mark.replica

PRIMARY, REPLICA = "router_primary", "replica_router_test"


def _bin() -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _as_owner(command: list[str], owner: str | None) -> None:
    """Run a PostgreSQL tool as the data directory's owner. Output goes to files, not pipes: a
    postmaster started by pg_ctl inherits them and would hold a pipe open for ever."""
    if owner:
        command = ["runuser", "-u", owner, "--", *command]
    with tempfile.TemporaryFile() as output:
        done = subprocess.run(command, stdout=output, stderr=output, timeout=60)
        output.seek(0)
        if done.returncode:
            raise AssertionError(f"{command[-1]} failed: {output.read().decode(errors='replace')}")


@pytest.fixture(scope="module")
def cluster():
    """(primary socket dir, replica socket dir): a fresh primary and a streaming replica of it."""
    import os

    pgserver = pytest.importorskip("pgserver")
    # Its exit hook logs at INFO after pytest has closed the streams ("Logging error" noise).
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    base = Path(tempfile.mkdtemp(prefix="replica-test-"))
    primary_dir, standby_dir, standby_socket = base / "primary", base / "standby", base / "standby-socket"
    # Stopped here, not at exit (pgserver's exit hook would log after pytest closed its streams).
    server = pgserver.get_server(primary_dir, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    owner = "pgserver" if os.geteuid() == 0 else None
    if owner:
        shutil.chown(base, owner)
    standby_socket.mkdir()
    if owner:
        shutil.chown(standby_socket, owner)
    _as_owner(
        [
            str(_bin() / "pg_basebackup"),
            "-D",
            str(standby_dir),
            "-h",
            str(socket_dir),
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        owner,
    )
    options = f"-k {standby_socket} -h '' -c hot_standby=on"
    _as_owner(
        [str(_bin() / "pg_ctl"), "-D", str(standby_dir), "-o", options, "-w", "-t", "30", "start"], owner
    )
    try:
        yield socket_dir, standby_socket
    finally:
        for data in (standby_dir, primary_dir):
            _as_owner([str(_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], owner)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def routed(cluster, django_db_blocker, monkeypatch):
    """Both clusters as Django aliases, the router pointed at them, a table on the primary."""
    primary_socket, replica_socket = cluster
    template = dict(connections.settings["default"])
    for alias, host in ((PRIMARY, primary_socket), (REPLICA, replica_socket)):
        connections.settings[alias] = {
            **template,
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": str(host),
            "PORT": "",
            "PASSWORD": "",
            "CONN_MAX_AGE": 0,
        }
    monkeypatch.setattr(dbrouter, "PRIMARY", PRIMARY)
    with (
        django_db_blocker.unblock(),
        override_settings(DATABASE_ROUTERS=["credit_platform.dbrouter.ReplicaRouter"]),
    ):
        with connections[PRIMARY].schema_editor() as editor:
            editor.execute("DROP TABLE IF EXISTS registry_department")
            editor.create_model(Department)
        _wait_replayed()
        yield
        for alias in (PRIMARY, REPLICA):
            connections[alias].close()
            del connections.settings[alias]
            if hasattr(connections._connections, alias):
                delattr(connections._connections, alias)


def _replica_sql(sql: str):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def _wait_replayed() -> None:
    target = dbrouter.parse_lsn(dbrouter.primary_lsn())
    deadline = time.monotonic() + 20
    while dbrouter.parse_lsn(_replica_sql("SELECT pg_last_wal_replay_lsn()::text")[0]) < target:
        assert time.monotonic() < deadline, "the replica did not catch up in 20 s"
        time.sleep(0.05)


def _names_view(request):
    """A public page: which server answered, and the departments it sees."""
    with connections[Department.objects.all().db].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        (on_replica,) = cursor.fetchone()
    names = ",".join(Department.objects.order_by("code").values_list("name", flat=True))
    return HttpResponse(f"{'replica' if on_replica else 'primary'}|{names}")


def _create_view(request):
    Department.objects.create(code=request.POST["code"], name=request.POST["name"], level="municipal")
    return HttpResponse("created", status=201)


def _get(path: str = "/", cookie: str = "") -> str:
    request = RequestFactory().get(path)
    if cookie:
        request.COOKIES[dbrouter.LSN_COOKIE] = cookie
    return dbrouter.ReplicaMiddleware(_names_view)(request).content.decode()


def test_public_reads_go_to_the_replica_and_writes_to_the_primary(routed):
    response = dbrouter.ReplicaMiddleware(_create_view)(
        RequestFactory().post("/x/", {"code": "d1", "name": "北京市测试局"})
    )
    assert response.status_code == 201
    _wait_replayed()

    assert _get() == "replica|北京市测试局"
    assert _get("/admin/registry/").startswith("primary|")  # staff pages read the primary


def test_the_session_that_wrote_reads_its_write_while_the_replica_lags(routed):
    _replica_sql("SELECT pg_wal_replay_pause()")
    try:
        response = dbrouter.ReplicaMiddleware(_create_view)(
            RequestFactory().post("/x/", {"code": "d2", "name": "北京市新设局"})
        )
        pinned = response.cookies[dbrouter.LSN_COOKIE].value

        assert _get(cookie=pinned) == "primary|北京市新设局"  # its own write, from the primary
        assert "北京市新设局" not in _get()  # another session: the (paused) replica, a moment behind
        assert _get().startswith("replica|")
    finally:
        _replica_sql("SELECT pg_wal_replay_resume()")
    _wait_replayed()

    assert _get(cookie=pinned) == "replica|北京市新设局"  # caught up: the replica serves it again


def test_a_malformed_position_cookie_reads_the_replica(routed):
    assert _get(cookie="not-an-lsn").startswith("replica|")
    assert dbrouter.parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert dbrouter.parse_lsn("16/zz") is None
