"""hpoweb settings, read from the environment (see .env.example).

Embedded defaults need no server: SQLite in the data folder and kombu's filesystem broker.
Deployments set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from hpoweb.env import env_bool, env_float, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("HPOWEB_DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "studies",
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "studies.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "studies.middleware.DatabaseUnavailableMiddleware",
    "studies.middleware.PageGoneMiddleware",
]

ROOT_URLCONF = "hpoweb.urls"
WSGI_APPLICATION = "hpoweb.wsgi.application"
ASGI_APPLICATION = "hpoweb.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        url = f"sqlite:///{DATA_DIR / 'hpoweb.sqlite3'}"
    db = dj_database_url.parse(url)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so read-then-write never fails with
        # "database is locked"; WAL lets readers go on while a worker writes.
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        db["CONN_MAX_AGE"] = int(env_float("DB_CONN_MAX_AGE", 60))
        db["CONN_HEALTH_CHECKS"] = True
        db.setdefault("OPTIONS", {})["connect_timeout"] = 5
    db["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "study-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(env_float("SESSION_COOKIE_AGE_S", 14 * 24 * 3600))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Production behind TLS (see docs/deployment.md): HSTS and the redirect are off unless set.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(env_float("SECURE_HSTS_SECONDS", 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# A TLS-terminating proxy sets X-Forwarded-Proto; trust it only when one is in front.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HPOWEB_TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# Login throttling (studies.security): failures per username and address before a lockout.
LOGIN_MAX_FAILURES = int(env_float("LOGIN_MAX_FAILURES", 5))
LOGIN_LOCKOUT_S = env_float("LOGIN_LOCKOUT_S", 900)


def _cache() -> dict:
    """One cache that every web process shares, so login throttling counts them all (a per-process
    cache let `make run`'s two processes take twice the failures).

    CACHE_URL, else a Redis broker's URL: Redis (sharing the broker's database, under keys of its own;
    set CACHE_URL to give the cache a database of its own, as docker-compose.yml does). Otherwise
    (the embedded mode: one host, a filesystem broker) files under the data folder, which need no
    table or service set up beforehand.
    """
    url = env_str("CACHE_URL") or env_str("CELERY_BROKER_URL")
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if env_str("CACHE_URL"):
        raise ValueError(f"CACHE_URL={url!r} is not a redis:// or rediss:// URL")
    return {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }


CACHES = {"default": _cache()}
# Sessions read from that shared cache and written through to the database: every page asked for
# reads its session, and fifty people polling a running study are fifty a second (docs/benchmarks.md,
# "Many viewers"). Logging out deletes both copies.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Seconds the study page's poll answers are shared by everyone watching (studies.web.poll_cache); 0: off.
POLL_CACHE_S = env_float("POLL_CACHE_S", 2.0)
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "studies.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "studies.api.parsers.JSONParser",
        "studies.api.parsers.YAMLParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "studies.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hpoweb API",
    "DESCRIPTION": "Create, run and read hyperparameter-optimization studies.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema names every job a user may pick: only logged-in users (session or token) read it.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Studies, trials and attempts each have a "state" with its own choices: name each set once.
    "ENUM_NAME_OVERRIDES": {
        "StudyStateEnum": "studies.models.Study.State",
        "TrialStateEnum": "studies.models.Trial.State",
        "AttemptStateEnum": "studies.models.Attempt.State",
        "OutcomeStateEnum": "studies.api.serializers.OUTCOME_STATES",
    },
}

# --- Celery (docs/reliability.md: json only, the database owns recovery, prefetch 1) ---------------
# A host in the URL, though the folder broker needs none: kombu warns at every worker start without one.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
BROKER_DIR = DATA_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "hpoweb.broker:Transport"  # atomic publish and claim: hpoweb/broker.py
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # kombu's default control folder is ./control, relative to wherever a worker was started
        "control_folder": str(BROKER_DIR / "control"),
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "polling_interval": 0.05,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "health_check_interval": 10,
        "socket_keepalive": True,
        "socket_timeout": 10,
        "retry_on_timeout": True,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One trial per worker process: the job runs in a child that the worker supervises; scale by processes.
CELERY_WORKER_POOL = env_str("HPOWEB_WORKER_POOL", "solo")
# Celery supports it on Redis only and warns at every worker start on any other broker.
CELERY_WORKER_DISABLE_PREFETCH = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_HEARTBEAT = 10
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_float("HPOWEB_SOFT_SHUTDOWN_S", 10.0)
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_DEFAULT_QUEUE = "hpoweb"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery closes Django's connections around every task unless told to reuse them; workers.tasks
# checks a kept connection before each task instead. Each worker holds one connection: PostgreSQL's
# max_connections must exceed the workers plus the web's threads (docs/deployment.md).
CELERY_DB_REUSE_MAX = 1000
_REAPER_PERIOD_S = env_float("HPOWEB_REAPER_PERIOD_S", 5.0)
_RECONCILE_PERIOD_S = env_float("HPOWEB_RECONCILE_PERIOD_S", 15.0)
# A tick that waited a whole period behind busy workers is stale: `expires` drops it instead of
# letting ticks pile up in the queue.
CELERY_BEAT_SCHEDULE = {
    "reap-stale-attempts": {
        "task": "workers.reap",
        "schedule": _REAPER_PERIOD_S,
        "options": {"expires": _REAPER_PERIOD_S},
    },
    "reconcile-queued-trials": {
        "task": "workers.reconcile",
        "schedule": _RECONCILE_PERIOD_S,
        "options": {"expires": _RECONCILE_PERIOD_S},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Trial lifecycle timings (short in tests) ------------------------------------------------------
HPOWEB = {
    "HEARTBEAT_S": env_float("HPOWEB_HEARTBEAT_S", 2.0),
    "GRACE_S": env_float("HPOWEB_GRACE_S", 60.0),
    "RECONCILE_AFTER_S": env_float("HPOWEB_RECONCILE_AFTER_S", 120.0),
    "REAPER_PERIOD_S": _REAPER_PERIOD_S,
    # A worker that finishes a trial goes straight on to its study's next one for this long before it
    # takes a message again (workers.runner.run_trial): no broker round trip between short trials.
    "CHAIN_S": env_float("HPOWEB_CHAIN_S", 2.0),
    # A finishing worker that finds its study's scheduling step at work waits for it this long, when
    # the last step took no longer, rather than leave its chain (studies.services.scheduling).
    "FOLLOW_S": env_float("HPOWEB_FOLLOW_S", 0.05),
    # A running study's dashboard analysis is refreshed after its results for this long after someone
    # last read it, and at least this often while it runs (studies.services.publishing).
    "ANALYSIS_EVERY_S": env_float("HPOWEB_ANALYSIS_EVERY_S", 5.0),
    "ANALYSIS_WATCH_S": env_float("HPOWEB_ANALYSIS_WATCH_S", 600.0),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
