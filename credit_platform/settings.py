"""Settings for the public credit information platform.

Configured by environment variables only. Every helper fails loudly on a bad value and accepts
``NAME_FILE`` (a path) in place of ``NAME`` for secrets. Development defaults are safe; with
``DEBUG`` off the process refuses to start on a default secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from credit_platform.sitelimits import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    """Read ``name`` (or the file named by ``name_FILE``); raise when missing without default."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
DEV_SECRET = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET)
if not DEBUG and SECRET_KEY == DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def _derived_key(label: str) -> str:
    """Development-only key derived from the secret key (never used with DEBUG off)."""
    digest = hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


# Personal data at rest: AES-256-GCM key and the HMAC key of the blind index (base64, 32 bytes).
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "")
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY", "")
if not FIELD_ENCRYPTION_KEY or not BLIND_INDEX_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY and BLIND_INDEX_KEY must be set when DEBUG is off")
    FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or _derived_key("field-encryption")
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or _derived_key("blind-index")
# Key rotation (registry/crypto.py, ``manage.py rotate_personal_data_keys``): the previous keys stay
# readable (comma-separated) until the rotation has rewritten every row; then remove them.
FIELD_ENCRYPTION_OLD_KEYS = env_list("FIELD_ENCRYPTION_OLD_KEYS", [])
BLIND_INDEX_OLD_KEYS = env_list("BLIND_INDEX_OLD_KEYS", [])

# The platform's Ed25519 key (core/signing.py): it signs credit reports and the ledger's
# checkpoints. PEM (PKCS#8) or base64 of the 32 raw private bytes. Development derives one from
# SECRET_KEY; production must set it.
REPORT_SIGNING_KEY = env_str("REPORT_SIGNING_KEY", "")
if not REPORT_SIGNING_KEY and not DEBUG:
    raise ImproperlyConfigured("REPORT_SIGNING_KEY must be set when DEBUG is off")

# The ledger (core/verification.py): verify_ledger checks each row of these models against the
# ledger's latest state of it; /ledger/proof/<id> proves that a public row of LEDGER_PUBLIC_RECORDS
# (its default manager's public(): THE definition of what citizens see) is in the signed log.
LEDGER_STATE_MODELS = ["registry.Subject", "registry.CreditRecord"]
LEDGER_PUBLIC_RECORDS = "registry.CreditRecord"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "axes",  # lockout after repeated failed sign-ins (accounts/audit.py records them)
    "django_otp",
    "django_otp.plugins.otp_totp",  # staff's second factor (accounts/two_factor.py)
    "core",
    "accounts",
    "registry",
    "sanctions",
    "disclosure",
    "objections",
    "enterprises",
]

# The API's lookup by code is answered before this chain when it can be (registry/api/fastpath.py,
# REVIEWED_MIDDLEWARE): a change here turns that off until the fast path is reviewed against it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "credit_platform.middleware.CSPRelaxMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.context.RequestIdMiddleware",
    # Chooses the replica a request's reads may use (only with DATABASE_REPLICA_URLS).
    "credit_platform.dbrouter.ReplicaMiddleware",
    "credit_platform.middleware.HostileInputMiddleware",
    "credit_platform.middleware.PublicRateLimitMiddleware",
    "credit_platform.middleware.KeptConnectionMiddleware",
    "credit_platform.middleware.SessionMiddleware",  # the site only, as the three below
    "credit_platform.middleware.PlatformLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "credit_platform.middleware.AuthenticationMiddleware",
    "credit_platform.middleware.OTPMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "accounts.audit.AuditDeniedMiddleware",
    "credit_platform.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "credit_platform.urls"
WSGI_APPLICATION = "credit_platform.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_config(name: str = "DATABASE_URL", default: str | None = None) -> dict:
    return _database_config_from(env_str(name, default), name)


def _database_config_from(url: str, name: str = "DATABASE_REPLICA_URLS") -> dict:
    if not url.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(f"{name} must be a PostgreSQL URL, got {url.split(':')[0]}://")
    config = dj_database_url.parse(url)
    # A unix-socket URL (postgresql://user@/db?host=/path) carries the socket directory as an option.
    socket_dir = config.get("OPTIONS", {}).pop("host", None)
    if socket_dir:
        config["HOST"] = socket_dir
    # Persistent connections are worth 8x throughput here (3 ms per new connection).
    config["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 600)
    config["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction mode (docker-compose.pgbouncer.yml, docs/scaling.md) a
    # server-side cursor (``.iterator()``) would outlive the transaction that owns the server
    # connection: Django must fetch in chunks on the client instead.
    config["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_POOLED", False)
    config["TEST"] = {"TEMPLATE": "template0", "CHARSET": "UTF8"}
    return config


# Least privilege (core/dbroles.py): the web and worker processes connect with DATABASE_URL as a
# role that is neither superuser nor owner (INSERT and SELECT only on the ledger, no TRUNCATE, no
# way to disable a trigger). Migrations run as the schema's owner: ``manage.py setup_database``
# migrates with DATABASE_OWNER_URL (the same database, the owner's credentials) and then grants
# the application role what it needs; DATABASE_APP_URL, when set, names that role (otherwise it
# is DATABASE_URL's). Unset, everything runs as DATABASE_URL (development, the test suite).
DATABASES = {
    "default": _database_config("DATABASE_URL", "postgresql://postgres@localhost:5432/credit_platform")
}


def _optional_database(name: str) -> dict | None:
    return _database_config(name) if os.environ.get(name) or os.environ.get(f"{name}_FILE") else None


# Read replicas (credit_platform/dbrouter.py, docs/scaling.md): hot standbys of DATABASE_URL.
# Public pages and API reads go to them; writes, transactions, the admin and the portal, and the
# reads of a session that just wrote (until a replica has replayed its write) go to the primary.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", [])):
    DATABASES[f"replica_{_number}"] = {**_database_config_from(_url), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["credit_platform.dbrouter.ReplicaRouter"] if len(DATABASES) > 1 else []

DATABASE_OWNER = _optional_database("DATABASE_OWNER_URL")
DATABASE_APP = _optional_database("DATABASE_APP_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")


def _next_database(url: str) -> str:
    """The Redis URL of the database after ``url``'s: the cache lives apart from Celery's queues, so
    clearing the cache (FLUSHDB) never drops a queued job."""
    parts = urlsplit(url)
    if parts.scheme == "unix":  # the database is a parameter (urlunsplit would drop the "//")
        socket, _sep, query_string = url.partition("?")
        query = dict(parse_qsl(query_string))
        query["db"] = str((int(query.get("db", 0)) + 1) % 16)
        return f"{socket}?{urlencode(query)}"
    number = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(number + 1) % 16}"))


CACHE_REDIS_URL = env_str("CACHE_REDIS_URL", _next_database(REDIS_URL))


def _celery_url(url: str) -> str:
    # Celery (kombu) spells a unix socket redis+socket://, redis-py spells it unix://.
    return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url


CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        # Parallel test workers (pytest-xdist) share one Redis: each gets its own key space.
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "credit") + os.environ.get("PYTEST_XDIST_WORKER", ""),
        "OPTIONS": {
            # A Redis outage degrades to cache misses: pages render from the database.
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

CELERY_BROKER_URL = _celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = _celery_url(REDIS_URL)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# With Redis down, sending a job must not stall the request that triggers it (a submission for
# publication): one short connection attempt, no publish retries. What was not sent is picked up by
# the periodic sweep (publish_due_records every 5 minutes), which acts on rows by status.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 5, "max_retries": 0}
CELERY_TASK_PUBLISH_RETRY = False
# Nobody waits for a job's return value (JobRun rows record outcomes): without this, every send
# also subscribes to the result in Redis, retrying 20 times (20 s) when Redis is down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
# Parallel test workers (pytest-xdist) share one Redis: each sends to and consumes its own queue.
CELERY_TASK_DEFAULT_QUEUE = "celery" + os.environ.get("PYTEST_XDIST_WORKER", "")

# E-mail to administrators (reminders such as a missing holiday calendar). Development prints the
# messages on the console; production sends through SMTP.
_MAIL_BACKENDS = "django.core.mail.backends"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    f"{_MAIL_BACKENDS}.console.EmailBackend" if DEBUG else f"{_MAIL_BACKENDS}.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "credit-platform@localhost")

# Enterprise accounts (django-allauth): public sign-up with a mandatory e-mail verification, sign-in
# by e-mail address, password reset; pages under /accounts/ in the site's look (templates/account,
# templates/allauth). Staff keep signing in with their username at /admin/ (ModelBackend).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",  # first (django-axes): a locked-out name is refused outright
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/enterprise/"

# Uploads (core/uploads.py: the enterprise portal's letters and attachments, objections' and
# credit-repair applications' evidence): stored under MEDIA_ROOT (never under STATIC_ROOT, never
# served directly), at most this size each.
ENTERPRISE_UPLOAD_MAX_BYTES = env_int("ENTERPRISE_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
if ENTERPRISE_UPLOAD_MAX_BYTES < 1:
    raise ImproperlyConfigured(f"ENTERPRISE_UPLOAD_MAX_BYTES={ENTERPRISE_UPLOAD_MAX_BYTES} must be positive")
# The virus-scan hook of every upload: the dotted path of a callable that gets the file and raises
# django.core.exceptions.ValidationError for an infected one (e.g. an adapter to clamd). Empty: none.
UPLOAD_VIRUS_SCANNER = env_str("UPLOAD_VIRUS_SCANNER", "")

# Password rules (ASVS V6) for staff and enterprise accounts alike (allauth validates with these):
# at least 12 characters, not close to the account's name or address, not a common password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in protection (accounts/): django-axes locks an account name after AXES_FAILURE_LIMIT failed
# sign-ins, whatever address they come from, for AXES_COOLOFF_MINUTES (the right password is refused
# meanwhile); a success resets the count. Axes' own admin pages are off: the audit trail
# (accounts.AuditEvent) shows lockouts; ``manage.py axes_reset_username NAME`` lifts one early.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_USERNAME_CALLABLE = "accounts.audit.axes_username"
AXES_CLIENT_IP_CALLABLE = "credit_platform.clientip.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "token"]
AXES_VERBOSE = False
# axes.W006 asks for the client address as a lockout parameter too: deliberately not, since one
# office's shared address would lock every colleague out for a stranger's guesses; guessing from
# one address at many names is slowed by the per-name lockout and seen in the audit trail.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Staff sign in with a password and a TOTP code (accounts/two_factor.py). Development may switch
# the second factor off (``make run`` does, for the demo accounts); production refuses to.
STAFF_OTP_REQUIRED = env_bool("STAFF_OTP_REQUIRED", True)
if not STAFF_OTP_REQUIRED and not DEBUG:
    raise ImproperlyConfigured(
        "STAFF_OTP_REQUIRED=false is a development switch: it is refused with DEBUG off"
    )
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Credit Beijing")

# Sessions: 30 minutes idle (every request moves the server-side expiry), and at most
# SESSION_ABSOLUTE_SECONDS after sign-in whatever the activity (accounts/middleware.py).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 10 * 3600)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / ".data" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
# Uploaded files are private (served by views that check who asks): never under the static root.
if MEDIA_ROOT.resolve().is_relative_to(STATIC_ROOT.resolve()):
    raise ImproperlyConfigured(f"MEDIA_ROOT={MEDIA_ROOT} must not be inside STATIC_ROOT={STATIC_ROOT}")
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Imports of credit records (registry/importer/, README "Regulators' tools"). A file larger or
# longer than these is refused whole with a message; an xlsx workbook is measured from its zip
# directory before anything is decompressed (a bomb never reaches the parser).
REGISTRY_IMPORT_MAX_BYTES = env_int("REGISTRY_IMPORT_MAX_BYTES", 1024 * 1024 * 1024)
REGISTRY_IMPORT_MAX_ROWS = env_int("REGISTRY_IMPORT_MAX_ROWS", 2_000_000)
# Rows per committed chunk: memory per worker and the granularity of a resumed import.
REGISTRY_IMPORT_CHUNK_ROWS = env_int("REGISTRY_IMPORT_CHUNK_ROWS", 5_000)
REGISTRY_IMPORT_XLSX_MAX_EXPANDED_BYTES = env_int(
    "REGISTRY_IMPORT_XLSX_MAX_EXPANDED_BYTES", 512 * 1024 * 1024
)
# openpyxl keeps every shared string in memory: this bounds a worker's memory on a workbook.
REGISTRY_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES = env_int(
    "REGISTRY_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES", 128 * 1024 * 1024
)
REGISTRY_IMPORT_XLSX_MAX_RATIO = env_int("REGISTRY_IMPORT_XLSX_MAX_RATIO", 100)
REGISTRY_IMPORT_XLSX_MAX_CELLS = env_int("REGISTRY_IMPORT_XLSX_MAX_CELLS", 50_000_000)

REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Public Credit Information Platform API",
    "VERSION": "1.0.0",
    # Swagger UI and Redoc served from our own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["credit_platform.api.schema.canonical_paths"],
    # One name for a choice set used by several fields (a measure's scenarios, a check's scenario).
    # A record's status appears in several answers (overdue list, consented private records).
    "ENUM_NAME_OVERRIDES": {
        "ScenarioEnum": "sanctions.choices.Scenario",
        "MeasureTypeEnum": "sanctions.choices.MeasureType",
        "ListKindEnum": "sanctions.choices.ListKind",
        "RecordStatusEnum": "registry.choices.RecordStatus",
        "ObjectionStatusEnum": "objections.choices.ObjectionStatus",
    },
    # No badge image from validator.swagger.io (unreachable from many networks): templates/drf_spectacular/.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Content-Security-Policy (django-csp) on every page, the admin and the API docs included: nothing
# from elsewhere, no inline script; data: images are the QR codes. The admin and the API docs (whose
# bundles inject style elements) may use inline styles, nothing more (credit_platform/middleware.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# How long public pages' data and content stay in Redis (core/cache.py): publicity windows end by
# date, so not for days; 0 switches page caching off (every view computes its page).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)
# Per-client limits of the public site, "count/period" as 60/m, 10/h, 100/5m, empty for none
# (credit_platform/sitelimits.py); with Redis down they are not enforced rather than refusing
# every citizen.
RATELIMIT_SEARCH = env_str("RATELIMIT_SEARCH", "60/m")
RATELIMIT_REPORT = env_str("RATELIMIT_REPORT", "10/m")
RATELIMIT_OBJECTION = env_str("RATELIMIT_OBJECTION", "10/h")  # objections filed by the public
# Credit reports (disclosure/reports.py): at most this many render at once across the site (one
# more gets a 429 before any work); a subject's report is reused until the subject changes.
REPORT_CONCURRENCY = env_int("REPORT_CONCURRENCY", 2)
REPORT_CACHE_SECONDS = env_int("REPORT_CACHE_SECONDS", 3600)
# Every public page (credit_platform/middleware.py PublicRateLimitMiddleware), per client address.
RATELIMIT_PUBLIC = env_str("RATELIMIT_PUBLIC", "300/m")
for _name in ("RATELIMIT_PUBLIC", "RATELIMIT_SEARCH", "RATELIMIT_REPORT", "RATELIMIT_OBJECTION"):
    try:
        parse_rate(_name, globals()[_name])
    except ValueError as _exc:
        raise ImproperlyConfigured(str(_exc)) from None
# The client address: REMOTE_ADDR, or behind the reverse proxies listed in TRUSTED_PROXIES (addresses
# or networks, comma-separated) the right-most X-Forwarded-For hop that is not one of them
# (credit_platform/clientip.py). X-Forwarded-For from anyone else is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Identity checks (enterprises/identity.py): questions per API key per hour (fails closed).
IDENTITY_VERIFY_PER_HOUR = env_int("IDENTITY_VERIFY_PER_HOUR", 100)

# Webhooks may call private or reserved addresses (127.0.0.1, 10.x, 169.254.x ...) only when this
# is on: development and tests. In production a webhook URL must resolve to public addresses (SSRF).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
if WEBHOOK_ALLOW_PRIVATE_TARGETS and not DEBUG:
    raise ImproperlyConfigured("WEBHOOK_ALLOW_PRIVATE_TARGETS may only be on when DEBUG is on")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    # Django's deployment checklist (``manage.py check --deploy --fail-level WARNING`` passes):
    # HTTPS only, behind a proxy that sets X-Forwarded-Proto (and strips it from clients).
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Health probes come over plain HTTP from inside (docker-compose, a load balancer).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # CR/LF in a logged value cannot forge a line (credit_platform/logs.py).
    "formatters": {
        "plain": {
            "()": "credit_platform.logs.EscapingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
