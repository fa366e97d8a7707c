"""Servers and load over HTTP on 127.0.0.1: gunicorn (the platform, and the raw WSGI ceiling),
datasette (the peer, in its own virtualenv), wrk (Debian's) bounded in time, RSS per worker.

Every server is started here and stopped here (by the process id this module started), on a
loopback port; every load run is bounded by ``duration`` seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk.lua"
DATASETTE_VENV = ROOT / ".bench-venv"
DATASETTE_VERSION = "0.65.5"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process (children of the master), in MB."""
        sizes = []
        for child in _children(self.process.pid) or [self.process.pid]:
            try:
                for line in Path(f"/proc/{child}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"server exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"server at {url} not ready after {timeout:.0f} s; see {log}")


def start(
    name: str, command: list[str], env: dict[str, str], port: int, ready_path: str, logs: Path
) -> Server:
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    handle = log.open("w")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(name, process, port, log)
    try:
        wait_ready(f"{server.base}{ready_path}", process, log)
    except BaseException:
        server.stop()
        raise
    return server


def gunicorn(
    name: str, app: str, env: dict[str, str], workers: int, logs: Path, ready_path: str = "/"
) -> Server:
    """The production server as the README recommends it: sync workers, no control socket."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",
        # As production runs it (Dockerfile, docker-compose.yml): no access log of gunicorn's (the
        # proxy keeps one). Until run 2026-12-01 this wrote it to /dev/null, which still formats
        # every line with all its headers. BENCH_ACCESS_LOG=1 prints it to the server's log.
        *(["--access-logfile", "-"] if os.environ.get("BENCH_ACCESS_LOG") else []),
        "--max-requests",
        "0",
        "--timeout",
        "120",
    ]
    return start(name, command, env, port, ready_path, logs)


def ensure_datasette() -> Path:
    """datasette in its own virtualenv (never the platform's): created on first use."""
    binary = DATASETTE_VENV / "bin" / "datasette"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [str(DATASETTE_VENV / "bin" / "pip"), "install", "--quiet", f"datasette=={DATASETTE_VERSION}"],
            check=True,
        )
    return binary


def datasette(database: Path, logs: Path) -> Server:
    binary = ensure_datasette()
    port = free_port()
    command = [
        str(binary),
        "serve",
        "--immutable",
        str(database),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "10000",
        "--setting",
        "num_sql_threads",
        "3",
        "--setting",
        "default_page_size",
        "20",
    ]
    return start("datasette", command, dict(os.environ), port, "/-/versions.json", logs)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def answers_200(base: str, path: str, header: str = "") -> None:
    """A path about to be measured must answer 200 itself: wrk counts only statuses from 400 up as
    errors, so a redirect (to HTTPS, to a login page) would be measured as a fast page."""
    request = urllib.request.Request(base + path)
    if header:
        name, _sep, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    try:
        status = urllib.request.build_opener(_NoRedirect).open(request, timeout=120).status
    except urllib.error.HTTPError as refused:
        status = refused.code
    if status != 200:
        raise SystemExit(
            f"{base}{path} answered {status}, not 200: not measured (check the server's settings)"
        )


def wrk(
    base: str,
    paths: list[str],
    *,
    duration: int,
    connections: int,
    threads: int = 2,
    header: str = "",
) -> dict:
    """Throughput and latency of GETs cycling through ``paths`` for ``duration`` seconds."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (Debian package)")
    answers_200(base, paths[0], header)
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    env = {**os.environ, "PATHS": handle.name, "HEADER": header}
    command = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        base,
    ]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(handle.name)
    settle(base)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            result = json.loads(line.removeprefix("WRKJSON "))
            result["connections"] = connections
            return result
    raise SystemExit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def settle(base: str, timeout: float = 120) -> None:
    """Wait until the server has worked off what wrk left queued: sync workers finish requests whose
    client is gone, and the next run's figures would include them. Done when a trivial request is
    answered at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=timeout):  # noqa: S310 (loopback)
                pass
        except urllib.error.HTTPError:
            pass  # answered (datasette has no /healthz)
        except (urllib.error.URLError, OSError):
            return
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.2)


@contextmanager
def running(*servers: Server):
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
