# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Starts an embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set.
EMBED := $(PY) -m credit_platform.embedded --
# Least privilege: migrations and the demo data run as the owner; the web, worker and beat connect
# as the application role (DATABASE_APP_URL, created by the embedded runner, granted its rights
# by setup_database), which cannot update, delete or truncate the ledger nor disable its trigger.
AS_APP := DATABASE_URL="$${DATABASE_APP_URL:-$$DATABASE_URL}" DATABASE_OWNER_URL= DATABASE_APP_URL=
DEMO_SUBJECTS ?= 2000

.PHONY: install system-deps run worker test faults lint format bench bench-import schema clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: system-deps $(VENV)/.installed

# Debian packages for PDF reports (CJK font, HarfBuzz subsetting) and browser tests (chromium).
system-deps:
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh

run: install
	$(EMBED) sh -c 'export STAFF_OTP_REQUIRED=$${STAFF_OTP_REQUIRED:-false} && $(MANAGE) setup_database && \
		$(MANAGE) seed_demo --subjects $(DEMO_SUBJECTS) --seed 1 --if-empty && \
		$(MANAGE) seed_sanctions_demo --seed 1 --if-empty && \
		$(MANAGE) create_demo_users && \
		$(AS_APP) exec $(VENV)/bin/honcho --procfile Procfile start'

worker: install
	$(EMBED) sh -c '$(AS_APP) exec $(VENV)/bin/celery -A credit_platform worker --loglevel INFO'

# One pytest worker per core (pytest-xdist); a test file stays on one worker (module fixtures).
# The suite runs as the owner (pytest-django creates its databases); tests/core/test_database_roles.py
# sets up an application role on the test database and proves what it can and cannot do.
test: install
	$(EMBED) $(PY) -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# The fault suite alone (Redis stopped, a worker lost, PostgreSQL dropping connections); `make test` runs it too.
faults: install
	$(EMBED) $(PY) -m pytest -m faults tests/faults $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(EMBED) $(PY) -m bench $(BENCH_ARGS)

# A national-template import beside raw COPY of the same rows (make bench-import BENCH_ARGS="--rows 1000000").
bench-import: install
	$(EMBED) $(PY) -m bench.imports $(BENCH_ARGS)

# Regenerate the committed OpenAPI schema after an intended API change (tests/api/test_schema.py).
schema: install
	$(MANAGE) spectacular --lang en --validate --fail-on-warn --file openapi/schema.yml

clean:
	rm -rf .data
