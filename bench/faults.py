"""``python -m bench.faults``: how long sending a job takes while the broker (Redis) is down.

Issue 12 asks that a broker outage never stall a request for more than a second: submissions send
their job after commit, and the send gives up after the broker settings' one-second connect timeout
without retries (tests/faults/test_faults.py checks the behaviour and the settings; this measures
the time, which a test must not assert). Needs no database: only the send is timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=5, help="sends to time (default 5)")
    parser.add_argument(
        "--broker",
        default="redis://10.255.255.1:6379/0",
        help="the dead broker: default an address that drops packets (the connect timeout applies); "
        "a missing unix socket fails at once",
    )
    args = parser.parse_args(argv)
    if args.sends < 1:
        parser.error("--sends must be at least 1")
    os.environ["REDIS_URL"] = args.broker
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
    import django

    django.setup()
    from registry import tasks

    times = []
    for _ in range(args.sends):
        started = time.monotonic()
        try:
            tasks.publish_due_records.delay()
        except Exception as exc:  # noqa: BLE001 - the failure is the point; its time is measured
            failure = type(exc).__name__
        else:
            failure = "none (a broker answered?)"
        times.append(time.monotonic() - started)
    median, longest = statistics.median(times), max(times)
    print(f"send with the broker down ({args.broker}): median {median:.3f} s, max {longest:.3f} s")
    print(f"over {args.sends} sends; each failed with {failure}")


if __name__ == "__main__":
    main()
