"""Settings, read from the environment (twelve-factor); see README.md for every variable.

With nothing set, the project runs on one machine with no servers: SQLite, a file
cache and a filesystem message broker, all under ``var/``.
"""

import base64
import hashlib
import os
from pathlib import Path

import environ

from config import dotenv, environment

BASE_DIR = Path(__file__).resolve().parent.parent
# The checkout's .env (written by `make run`) fills in what the environment leaves unset.
# Not under pytest (which sets PYTEST_VERSION for itself and the processes it starts):
# the suite runs on its own settings (pyproject.toml), never on a developer's DEBUG or
# DATABASE_URL.
if "PYTEST_VERSION" not in os.environ:
    dotenv.read(BASE_DIR / ".env")
env = environ.Env()

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SITE_NAME = env("SITE_NAME", default="Vigil")
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = environment.secret_key(env("SECRET_KEY", default=None), debug=DEBUG, var_dir=VAR_DIR)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_prometheus",
    "core",
    "catalog",
    "oncall",
    "webhooks",
    "incidents",
    "observability",
    "analytics",
    "insights",
    "runbooks",
]

MIDDLEWARE = [
    "core.metrics.PrometheusBeforeMiddleware",  # django-prometheus, fewer series
    "core.traffic.TrafficMiddleware",
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # JSON 404/405 under /api/ whatever DEBUG is (inside the header-adding middleware).
    "core.api.middleware.ApiErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.viewer_time_zone.ViewerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.metrics.PrometheusAfterMiddleware",
]

# Benchmarks mount bare baseline views beside the product's (bench/urls.py).
ROOT_URLCONF = env("ROOT_URLCONF", default="config.urls")
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

# The Markdown runbooks served to staff at /runbooks/ (runbooks.pages).
RUNBOOKS_DIR = BASE_DIR / "runbooks"

# --- Data -------------------------------------------------------------------

DATABASES = {
    "default": environment.database_settings(
        env("DATABASE_URL", default=None),
        var_dir=VAR_DIR,
        conn_max_age=env.int("CONN_MAX_AGE", default=60),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default=None)
CACHES = {"default": environment.cache_settings(REDIS_URL, var_dir=VAR_DIR)}

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Time and language ------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app itself (whitenoise), also under gunicorn -

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at startup when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# --- Email ------------------------------------------------------------------

# django-environ drops the first slash of a path: an absolute one takes four
# (filemail:////srv/mail).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail:///{VAR_DIR / 'mail'}")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <vigil@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Security ---------------------------------------------------------------

# HTTPS is on by default outside development; a TLS-terminating proxy in front
# must pass X-Forwarded-Proto.
HTTPS = env.bool("HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and Prometheus usually speak plain HTTP inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Sent on every response (core.security). Scripts and styles come from this server only
# (the admin, the browsable API and Swagger UI serve theirs as static files); inline
# style attributes are allowed, inline scripts are not, but for one event handler known
# by its hash: the browsable API's "Log out" link.
_DRF_LOGOUT_HANDLER = 'document.getElementById("logoutForm").submit()'
_DRF_LOGOUT_HASH = base64.b64encode(hashlib.sha256(_DRF_LOGOUT_HANDLER.encode()).digest())
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-hashes' 'sha256-{_DRF_LOGOUT_HASH.decode()}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
# Whether the workers may call private, loopback, link-local and other non-public
# addresses (contact-method and outgoing webhooks). Off in production so that a URL
# typed in by a user cannot reach internal services; on in development.
OUTGOING_ALLOW_PRIVATE = env.bool("OUTGOING_ALLOW_PRIVATE", default=DEBUG)

# --- API --------------------------------------------------------------------

REST_FRAMEWORK = {
    # Bearer first: an anonymous API call then gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        # DRF's JSON written by orjson; the browsable API stays for browsers.
        "core.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": (
        "Incident response and observability. Authenticate with a personal API token "
        "(`Authorization: Bearer <token>`) or a session. Every error has the shape "
        '`{"error": {"code": ..., "message": ..., "fields": {...}}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API speaks JSON; the form parsers exist for the browsable API's HTML forms.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser", "core.api.parsers.JSONParser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/",
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.incidents.IncidentStatus",
        "IncidentSeverityEnum": "incidents.models.incidents.IncidentSeverity",
        "ReviewStatusEnum": "incidents.models.reviews.ReviewStatus",
        "ActionItemStatusEnum": "incidents.models.reviews.ActionItemStatus",
        "ActionItemPriorityEnum": "incidents.models.reviews.ActionItemPriority",
        "SLOStateEnum": "observability.models.SLOState",
        "SLOSourceEnum": "observability.models.SLOSource",
        "IncidentSourceEnum": "incidents.models.incidents.IncidentSource",
        "DeliveryStatusEnum": "core.models.DeliveryStatus",
        "AlertStatusEnum": "incidents.models.integrations.AlertStatus",
        "IntegrationKindEnum": "incidents.models.integrations.IntegrationKind",
        "TimelineKindEnum": "incidents.models.timeline.TimelineKind",
        "ContactKindEnum": "oncall.models.ContactKind",
        "BenchmarkStatusEnum": "analytics.models.BenchmarkStatus",
        "TrendDirectionEnum": "analytics.api.trends.DIRECTIONS",
        "ReportKindEnum": "insights.models.ReportKind",
        "ReportStatusEnum": "insights.models.ReportStatus",
        "InsightSeverityEnum": "insights.models.InsightSeverity",
        "InsightStatusEnum": "insights.models.InsightStatus",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "integrationSecret": {
                "type": "http",
                "scheme": "bearer",
                "description": "An integration's secret, shown once when it is created.",
            }
        }
    },
    "PREPROCESSING_HOOKS": ["core.api.schema.strip_optional_trailing_slash"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
}

API_TOKEN_PREFIX = "vgl_"
# The largest JSON body the API reads (the PagerDuty Events API's limit); larger is a 413.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=512 * 1024)
# How far a Grafana signature's timestamp may be from now (either way), in seconds.
GRAFANA_SIGNATURE_MAX_AGE_SECONDS = env.int("GRAFANA_SIGNATURE_MAX_AGE_SECONDS", default=300)

# --- Post-incident reviews --------------------------------------------------

# Resolving an incident of one of these severities opens a draft review...
REVIEW_SEVERITIES = env.list("REVIEW_SEVERITIES", default=["SEV1", "SEV2"])
# ...due this many working days (Monday to Friday) after the incident resolved.
REVIEW_DUE_BUSINESS_DAYS = env.int("REVIEW_DUE_BUSINESS_DAYS", default=5)

# --- SLOs -------------------------------------------------------------------

# Per-minute SLO counts older than this are refused when posted and deleted daily.
SLO_RETENTION_DAYS = env.int("SLO_RETENTION_DAYS", default=90)
# The Prometheus server SLOs with the prometheus source ask (unless they name their own).
PROMETHEUS_URL = env("PROMETHEUS_URL", default="")
PROMETHEUS_TIMEOUT_SECONDS = env.float("PROMETHEUS_TIMEOUT_SECONDS", default=10)
# The platform's own API availability and latency SLOs (observability.platform).
PLATFORM_SLOS = env.bool("PLATFORM_SLOS", default=True)
# Usage analytics (analytics.usage): requests per route, active users, feature use; counted
# in memory and added to the database once a minute per process. Kept this many days.
USAGE_ANALYTICS = env.bool("USAGE_ANALYTICS", default=True)
USAGE_RETENTION_DAYS = env.int("USAGE_RETENTION_DAYS", default=400)
# Health alerts on the platform itself: deliveries waiting over 5 minutes beyond this many
# fail the backlog check; the incidents they open have this severity.
HEALTH_BACKLOG_THRESHOLD = env.int("HEALTH_BACKLOG_THRESHOLD", default=100)
HEALTH_ALERT_SEVERITY = env("HEALTH_ALERT_SEVERITY", default="SEV2")

# --- Metrics ----------------------------------------------------------------

# Metric samples older than this are deleted daily, in batches.
METRIC_RETENTION_DAYS = env.int("METRIC_RETENTION_DAYS", default=400)
# Points a metric source asks Prometheus for in one query_range (it answers at most 11,000
# points a series); a longer range is asked for in chunks.
METRIC_SOURCE_POINTS_PER_QUERY = env.int("METRIC_SOURCE_POINTS_PER_QUERY", default=10_000)
# The detectors each anomaly scan runs (analytics.stats.anomaly.METHODS).
ANOMALY_METHODS = env.list("ANOMALY_METHODS", default=["rolling_z", "robust_z", "isolation_forest"])

# --- Executive dashboard (the admin's index page, GET /api/admin/status) ----

# Its figures are computed at most once this often, for everyone (seconds)...
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=20)
# ...and an open page fetches them again this often.
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=30)

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = environment.broker_settings(
    REDIS_URL, var_dir=VAR_DIR
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# Tasks here are idempotent (they take ids and re-fetch), so a task is acknowledged
# only once it has run, and one whose worker died is handed to another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {
    "default": {"routing_key": "default"},
    "notifications": {"routing_key": "notifications"},
    "reports": {"routing_key": "reports"},
}
CELERY_TASK_ROUTES = {
    "*.notification_send": {"queue": "notifications"},
    "*.webhook_deliver": {"queue": "notifications"},
    "*.review_reminder_send": {"queue": "notifications"},
    "*.report_*": {"queue": "reports"},
}
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat records a heartbeat this often; readiness fails when the last one is older
# than BEAT_HEARTBEAT_MAX_AGE seconds.
BEAT_HEARTBEAT_INTERVAL = 30
BEAT_HEARTBEAT_MAX_AGE = env.int("BEAT_HEARTBEAT_MAX_AGE", default=120)

# --- Logging: one line per event, JSON outside development ------------------

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "text": {
            "format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The request log in core.request_id says the same, once, with the request id.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
