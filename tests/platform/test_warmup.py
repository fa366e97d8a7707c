"""A web worker does its start-up work before its first request (credit_platform/warmup.py):
visitors of a freshly started or restarted worker are not the ones who wait for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc
import json
from django.db import connections
from django.template import engines
from django.utils.translation import trans_real
import credit_platform.wsgi  # what gunicorn imports in each worker
from credit_platform.warmup import TEMPLATES
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "connections": [alias for alias in connections if connections[alias].connection is not None],
    "catalogues": sorted(trans_real._translations),
    "compiled": sorted(name for name in TEMPLATES if name in loader.get_template_cache),
    "templates": list(TEMPLATES),
    "frozen": gc.get_freeze_count(),
    "collected_over": len(gc.get_objects()),
}))
"""


def test_a_worker_is_warm_before_its_first_request_and_holds_no_connection():
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "credit_platform.settings"},
    )
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout.strip().splitlines()[-1])
    # No connection opened before the fork (gunicorn --preload would share it between workers).
    assert state["connections"] == []
    assert {"zh-hans", "en"} <= set(state["catalogues"])
    assert state["compiled"] == sorted(state["templates"])
    # What start-up made is out of the collector's full passes (a 200 ms pause inside a request).
    assert state["frozen"] > 10 * state["collected_over"]
