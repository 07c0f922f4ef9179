"""Tablewright settings, driven by the environment.

Every setting a deployment may change is read from an environment variable; the README lists them all.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TABLEWRIGHT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        # Development only: a per-checkout key kept under var/, never committed.
        key_file = VAR_DIR / "dev-secret-key"
        if not key_file.exists():
            from django.core.management.utils import get_random_secret_key

            key_file.write_text(get_random_secret_key())
        SECRET_KEY = key_file.read_text().strip()
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random string "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "channels",
    "simple_history",
    "ninja",
    "designer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "designer.api.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "designer.middleware.LockErrorMiddleware",
    "designer.realtime.middleware.TabOriginMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- databases -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'tablewright.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# The database that designs are deployed into. Never the app's own tables: each project gets its
# own PostgreSQL schema (or SQLite file) there.
DEPLOY_DATABASE_URL = os.environ.get("DEPLOY_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'deploy.sqlite3'}"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- channels --------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Redis pub/sub layer by default: one PUBLISH per broadcast, each server process receives it once and fans it
# out to its own sockets (bench/lock_broadcast.py). REDIS_CHANNEL_LAYER=lists selects channels-redis' list-based
# layer (per-socket queues, survives short subscriber gaps, one Redis message per socket).
REDIS_CHANNEL_LAYER = os.environ.get("REDIS_CHANNEL_LAYER", "pubsub")
if REDIS_CHANNEL_LAYER not in ("pubsub", "lists"):
    raise ImproperlyConfigured(f"REDIS_CHANNEL_LAYER must be pubsub or lists, got {REDIS_CHANNEL_LAYER!r}")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if REDIS_CHANNEL_LAYER == "pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNELS_PREFIX", "tablewright")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- cache (the API's rate-limit counters) -----------------------------------------------------
# With REDIS_URL every server process counts in the same Redis; without it the app is one process (the in-memory
# channel layer), and so are its counters.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CHANNELS_PREFIX", "tablewright"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tablewright"}}

# --- public API (/v1/) -----------------------------------------------------------------------
# Seed 000's limits per API key, "<count>/<second|minute|hour|day>".
API_RATE_LIMITS = {
    "schema_updates": os.environ.get("API_RATE_SCHEMA_UPDATES", "10/hour"),
    "migrations": os.environ.get("API_RATE_MIGRATIONS", "5/hour"),
    "performance": os.environ.get("API_RATE_PERFORMANCE", "100/minute"),
}
# Rehearsal (seed 000 "test update"): rows copied per table into the scratch schema.
REHEARSAL_SAMPLE_ROWS = int(os.environ.get("REHEARSAL_SAMPLE_ROWS", "10000"))
API_PAGE_SIZE = int(os.environ.get("API_PAGE_SIZE", "100"))

# --- auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "designer:project-list"
LOGOUT_REDIRECT_URL = "login"

# --- i18n / static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
SERVE_STATIC = env_bool("SERVE_STATIC", True)

# --- security defaults outside DEBUG ---------------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts only from our own origin (htmx runs with allowEval off, no inline
# scripts or handlers anywhere); inline styles are allowed for the SVG diagram's positioning; images may be
# blob:/data: URLs (the PNG export draws the SVG through one); websockets go back to this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Tablewright -----------------------------------------------------------------------------
LOCK_TTL_OPTIMISTIC = env_int("LOCK_TTL_OPTIMISTIC", 120)
LOCK_TTL_PESSIMISTIC = env_int("LOCK_TTL_PESSIMISTIC", 1800)
LOCK_TTL_CRITICAL = env_int("LOCK_TTL_CRITICAL", 900)
# Expired locks are freed (and lock.expired broadcast once) by a sweep every LOCK_SWEEP_INTERVAL seconds, run
# inside each ASGI process (LOCK_SWEEP_IN_ASGI) and/or by `manage.py expire_locks --loop`.
LOCK_SWEEP_INTERVAL = float(os.environ.get("LOCK_SWEEP_INTERVAL") or 1)
LOCK_SWEEP_IN_ASGI = env_bool("LOCK_SWEEP_IN_ASGI", True)
# A running deploy reports its progress (the run's counter, deploy.progress) per batch of statements, at most
# every DEPLOY_PROGRESS_INTERVAL seconds (0: every batch), and always at the end.
DEPLOY_PROGRESS_INTERVAL = float(os.environ.get("DEPLOY_PROGRESS_INTERVAL") or 0.25)
# A viewer's presence goes when their socket closes, or after PRESENCE_TIMEOUT seconds without a ping.
PRESENCE_TIMEOUT = env_int("PRESENCE_TIMEOUT", 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
