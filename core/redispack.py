"""Redis commands packed by hand into one write per round trip, on a connection a thread keeps.

What redis-py's pipeline (``transaction=False``) sends, without its per-command machinery: the API
quotas (credit_platform/api/throttling.py) and the public site's limits (credit_platform/
sitelimits.py) each make one such round trip per request, and redis-py's own pipeline and pool
cost as much CPU as the rest of a fast request (bench/README.md).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def command(*parts: str | bytes | int) -> bytes:
    """One command in the Redis protocol, as redis-py would write it."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


_held = threading.local()


def _held_connection(client: Any) -> Any:
    """A connection with ``client``'s pool's settings that this thread keeps for its round trips,
    rather than one taken from the pool and given back on every request: in redis-py 8 that costs
    as much CPU as the round trip's own commands (it polls the socket and updates the pool's
    metrics).
    Kept as the pool keeps its connections: every reply is read or it is disconnected, and it is
    checked before each use as the pool checks one. A forked child or another pool takes its own."""
    pool = client.connection_pool
    held = getattr(_held, "connection", None)
    if held is None or _held.pid != os.getpid() or _held.pool is not pool:
        # Made with the pool's settings but outside its count: it is this thread's alone, and
        # closed when the thread ends (redis-py disconnects a connection it collects).
        held = pool.connection_class(**pool.connection_kwargs)
        _held.connection, _held.pid, _held.pool = held, os.getpid(), pool
        return held
    try:  # the pool's own check before it hands a connection out: closed by Redis meanwhile?
        if held.can_read():
            raise RedisConnectionError("Connection has data")
    except (RedisConnectionError, RedisTimeoutError, OSError):
        held.disconnect()  # its next write connects again
    return held


class Packed:
    """One round trip's commands, written at once, and their replies read in order (cProfile of
    ``python -m bench.lookup``: redis-py's pipeline cost about as much CPU as the rest of a fast
    lookup). The client's connection settings, retry policy and reply parsing are used."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.buffer: list[bytes] = []
        self.commands = 0

    def _add(self, *parts: str | bytes | int) -> None:
        self.raw(command(*parts))

    def raw(self, command: bytes, commands: int = 1) -> None:
        """``commands`` commands already packed (``command``)."""
        self.buffer.append(command)
        self.commands += commands

    def rpush(self, key: str, *values: str) -> None:
        self._add(b"RPUSH", key, *values)

    def get(self, key: str) -> None:
        self._add(b"GET", key)

    def incrby(self, key: str, amount: int) -> None:
        self._add(b"INCRBY", key, amount)

    def expire(self, key: str, seconds: int) -> None:
        self._add(b"EXPIRE", key, seconds)

    def execute(self) -> list[Any]:
        connection = _held_connection(self.client)
        replies: list[Any] = connection.retry.call_with_retry(
            lambda: self._send(connection), lambda _error: connection.disconnect()
        )
        return replies

    def _send(self, connection: Any) -> list[Any]:
        connection.send_packed_command([b"".join(self.buffer)])  # one write
        try:
            return [connection.read_response() for _command in range(self.commands)]
        except BaseException:
            connection.disconnect()  # replies left unread must not reach the next command
            raise
