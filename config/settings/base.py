"""Settings shared by every environment; each value that differs comes from the environment."""

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# How many trusted reverse proxies stand in front of the site (for the client IP in audit
# events); 0 means REMOTE_ADDR is the client.
MANDATE_PROXY_HOPS = env.int("MANDATE_PROXY_HOPS", default=0)
CSRF_FAILURE_VIEW = "apps.web.errors.csrf_failure"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "apps.core",
    "apps.accounts",
    "apps.organizations",
    "apps.audit",
    "apps.catalogs",
    "apps.policies",
    "apps.agents",
    "apps.checks",
    "apps.humans",
    "apps.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.audit.middleware.AuditContextMiddleware",
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
                "django.template.context_processors.csp",
                "apps.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mandate.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one costs more than a whole check.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object permissions
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}


def smtp_mailer(host: str) -> dict:
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": host,
            "port": env.int("MANDATE_SMTP_PORT", default=587),
            "username": env("MANDATE_SMTP_USER", default=""),
            "password": env("MANDATE_SMTP_PASSWORD", default=""),
            "use_tls": env.bool("MANDATE_SMTP_TLS", default=True),
        },
    }


# E-mail: SMTP when MANDATE_SMTP_HOST is set, printed to the console otherwise.
SMTP_HOST = env("MANDATE_SMTP_HOST", default="")
MAILERS = {
    "default": smtp_mailer(SMTP_HOST)
    if SMTP_HOST
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Mandate <mandate@localhost>")
# The agent API: checks per second per key (0: unlimited), and context keys never logged.
MANDATE_CHECK_RATE_PER_SECOND = env.int("MANDATE_CHECK_RATE_PER_SECOND", default=50)
MANDATE_MASKED_CONTEXT_KEYS = env.list("MANDATE_MASKED_CONTEXT_KEYS", default=[])
# Trust figures: an action on approval is recommended for autonomy once at least this
# many approvals were decided in the window, and at least this share went out unchanged.
MANDATE_TRUST_MIN_APPROVALS = env.int("MANDATE_TRUST_MIN_APPROVALS", default=20)
MANDATE_TRUST_MIN_UNCHANGED_RATE = env.float("MANDATE_TRUST_MIN_UNCHANGED_RATE", default=0.9)
# An overdue handoff (open, or claimed and not closed) is announced again this often until
# someone closes it; 0 announces it once.
MANDATE_HANDOFF_RENOTIFY_MINUTES = env.int("MANDATE_HANDOFF_RENOTIFY_MINUTES", default=60)
# seed_demo creates accounts with a published password: allowed locally, never by default.
MANDATE_ALLOW_DEMO_DATA = env.bool("MANDATE_ALLOW_DEMO_DATA", default=False)
SITE_URL = env("MANDATE_SITE_URL", default="http://127.0.0.1:8000")

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport, so that
# background work and periodic tasks still run for real with nothing installed.
CELERY_BROKER_FOLDER = Path(env("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "celery-broker")))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
HEARTBEAT_INTERVAL_SECONDS = env.int("MANDATE_HEARTBEAT_INTERVAL", default=15)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "apps.core.tasks.worker_heartbeat",
        "schedule": HEARTBEAT_INTERVAL_SECONDS,
    },
    "activate-due-policy-versions": {
        "task": "apps.policies.tasks.activate_due_versions",
        "schedule": env.int("MANDATE_PUBLICATION_INTERVAL", default=10),
    },
    "audit-checkpoints": {
        "task": "apps.audit.tasks.take_checkpoints",
        "schedule": env.int("MANDATE_AUDIT_CHECKPOINT_INTERVAL", default=300),
    },
    "expire-due-approvals": {
        "task": "apps.humans.tasks.expire_due_approvals",
        "schedule": env.int("MANDATE_HUMAN_LOOP_INTERVAL", default=30),
    },
    "remind-due-approvals": {
        "task": "apps.humans.tasks.remind_due_approvals",
        "schedule": env.int("MANDATE_HUMAN_LOOP_INTERVAL", default=30),
    },
    "flag-overdue-handoffs": {
        "task": "apps.humans.tasks.flag_overdue_handoffs",
        "schedule": env.int("MANDATE_HUMAN_LOOP_INTERVAL", default=30),
    },
    "sweep-webhooks": {
        "task": "apps.humans.tasks.sweep_webhooks",
        "schedule": env.float("MANDATE_WEBHOOK_SWEEP_INTERVAL", default=10),
    },
    # Decision retention, per organization that sets it (a run deletes at most 100,000 rows).
    "expire-decisions": {
        "task": "apps.audit.tasks.expire_decisions",
        "schedule": env.int("MANDATE_RETENTION_INTERVAL", default=3600),
    },
}
# Outbound webhooks: attempts per message, the wait after the first failure (doubled after
# each next one), each request's timeout, and whether loopback and private addresses may
# receive them (off: on, a webhook could reach the site's own network).
MANDATE_WEBHOOK_MAX_ATTEMPTS = env.int("MANDATE_WEBHOOK_MAX_ATTEMPTS", default=8)
MANDATE_WEBHOOK_BACKOFF_SECONDS = env.float("MANDATE_WEBHOOK_BACKOFF_SECONDS", default=10)
MANDATE_WEBHOOK_TIMEOUT_SECONDS = env.float("MANDATE_WEBHOOK_TIMEOUT_SECONDS", default=10)
MANDATE_WEBHOOKS_ALLOW_PRIVATE = env.bool("MANDATE_WEBHOOKS_ALLOW_PRIVATE", default=False)
# Signs the audit chain's checkpoints; keep it out of the database and away from those who
# administer it. Unset: derived from DJANGO_SECRET_KEY.
MANDATE_AUDIT_CHECKPOINT_KEY = env("MANDATE_AUDIT_CHECKPOINT_KEY", default="")
# /healthz calls the worker down when its last heartbeat is older than this.
HEALTH_WORKER_MAX_AGE_SECONDS = env.int("MANDATE_HEALTH_WORKER_MAX_AGE", default=60)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONBodyParser"],
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.Pagination",
    "PAGE_SIZE": 50,
    # ?format= names the export format (yaml|json), not a renderer.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mandate API",
    "DESCRIPTION": (
        "The agent API (POST /api/v1/check, /api/v1/check/batch: agent keys) and the "
        "management API (organizations, members, teams, catalogs, policies, agents, the "
        "decision log: personal tokens or a session). Errors have one shape: "
        '{"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # public, whatever key a client sends with it
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies have their own serializers, whose required fields are required.
    "COMPONENT_SPLIT_PATCH": False,
    "ENUM_NAME_OVERRIDES": {
        "AgentStatusEnum": "apps.agents.constants.AgentStatus",
        "InvitationStatusEnum": "apps.organizations.constants.InvitationStatus",
        "TemplateKindEnum": "apps.catalogs.constants.TemplateKind",
        "ChangeKindEnum": ["added", "removed", "changed"],
        "DocumentFormatEnum": ["yaml", "json"],
        "PolicyFormatEnum": [(1, 1)],
        "ApprovalStatusEnum": "apps.humans.constants.ApprovalStatus",
        "HandoffStatusEnum": "apps.humans.constants.HandoffStatus",
        "WebhookStatusEnum": "apps.humans.constants.WebhookStatus",
        "WebhookFormatEnum": "apps.humans.constants.WebhookFormat",
        "EventsEnum": "apps.humans.constants.WebhookEvent",
        "AgentWebhookEventEnum": "apps.humans.constants.AGENT_WEBHOOK_EVENT_CHOICES",
    },
    "PREPROCESSING_HOOKS": ["apps.checks.openapi.agent_api_endpoints"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.checks.openapi.agent_api_components",
        "apps.core.openapi.management_api_errors",
    ],
}

LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("MANDATE_LOG_JSON", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_JSON else "plain"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Once, through the handler above (Django's own console handler would print it again).
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
