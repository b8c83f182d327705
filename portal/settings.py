"""Settings for the portal: one module, configured by environment variables.

With no variable set the portal runs on embedded defaults (PostgreSQL under
var/pg, a file-system Celery broker, mail written to var/mail); production sets
DATABASE_URL, REDIS_URL, EMAIL_URL, SECRET_KEY and ALLOWED_HOSTS. README.md
lists every variable.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# The embedded default key is only for a local demo; production must set one
# (check --deploy flags a short or "django-insecure" key).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-demo-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="Incident Portal")

INSTALLED_APPS = [
    "portal",
    "incidents",
    "incidents.trust",
    "reports",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "netfields",
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
EMBEDDED_DATABASE = not env.str("DATABASE_URL", default="")
if not EMBEDDED_DATABASE:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    from portal.embedded import database as _embedded_database

    DATABASES = {"default": _embedded_database(VAR_DIR)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# Report queries are short index reads; JIT compilation only adds its own time
# (measured: +170 ms on a 10M-event report, bench/report.py).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ----------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A broker that needs no server: messages are files under var/broker, shared
    # by the web process, the worker and beat.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "requeue-stalled-submissions": {"task": "incidents.tasks.requeue_stalled_submissions", "schedule": 300},
    "maintain-partitions": {"task": "incidents.tasks.maintain_partitions", "schedule": 3600},
    "purge-raw-submissions": {"task": "incidents.tasks.purge_raw_submissions", "schedule": 3600},
    "resolve-recent-sources": {"task": "reports.tasks.resolve_recent_sources", "schedule": 900},
    "poll-submission-mailbox": {"task": "incidents.tasks.poll_mailbox", "schedule": 60},
    "fightback": {"task": "reports.tasks.fightback_run", "schedule": 900},
    "send-bulk-reports": {"task": "reports.tasks.send_bulk_reports", "schedule": 3600},
    # Mail whose delivery task was lost (broker down, worker killed); see portal.outbox.
    "deliver-outbox": {"task": "portal.tasks.deliver_outbox", "schedule": 60},
}

# --- Mail --------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ADMINS = [("Admin", a) for a in env.list("ADMINS", default=[])]

# --- Accounts (django-allauth) -------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins: per address and per account, so neither a single host
    # nor a botnet can guess one password for long.
    "login_failed": env.str("RATE_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("RATE_SIGNUP", default="20/m/ip"),
    "reset_password": env.str("RATE_PASSWORD_RESET", default="20/m/ip,5/m/key"),
    "confirm_email": "1/3m/key",
}
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- REST API (portal.api) ------------------------------------------------------------------
# Throttle rates use DRF's syntax (number/second|minute|hour|day) and live in
# the cache (Redis in production), so every web process shares the counters.
# Proxies in front of the portal that add X-Forwarded-For: the client is the
# entry this many places from the right. 0 (no proxy): REMOTE_ADDR, since a
# client could otherwise pick its own address for limits and trust.
TRUSTED_PROXY_COUNT = env.int(
    "API_TRUSTED_PROXIES", default=1 if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False) else 0
)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttles.AnonThrottle", "portal.api.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="60/hour"),
        "user": env.str("API_RATE_USER", default="1000/hour"),
        "submissions": env.str("API_RATE_SUBMISSIONS", default="60/hour"),
    },
    # Only addresses added by this many proxies in front are trusted in
    # X-Forwarded-For; without a proxy a client could pick its own throttle key.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ?format= names a log's format (as on the upload form), not a renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Submit firewall logs, follow their processing, read your report and keep your filter rules; "
    "look up addresses, ports and networks and fetch the block list without signing in.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from the drf-spectacular-sidecar static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------------------------
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_ENABLED=true.
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and SITE_URL.startswith("https"))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=SITE_URL.startswith("https"))
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content security policy (django-csp): scripts and styles only from our own
# static files, so markup that slipped through escaping cannot run. Bootstrap's
# CSS draws its icons from data: URIs, hence img-src. The admin works under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
# Uploads and pastes per user (portal.ratelimit): "N/period" pairs, comma-separated;
# periods s, m, h, d. Over the limit the user gets a 429 page saying when to retry.
RATE_SUBMISSION = env.str("RATE_SUBMISSION", default="10/m,100/h")
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Ingestion ------------------------------------------------------------------------------------------
EVENT_MAX_AGE_DAYS = env.int("EVENT_MAX_AGE_DAYS", default=30)  # older events are rejected with that reason
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=120)
# Raw submitted files are deleted this long after they arrived (once processed);
# the submission's record and counts stay.
SUBMISSION_RAW_RETENTION_DAYS = env.int("SUBMISSION_RAW_RETENTION_DAYS", default=30)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)  # as sent (compressed or not)
LOG_MAX_UNCOMPRESSED_BYTES = env.int("LOG_MAX_UNCOMPRESSED_BYTES", default=2 * 1024 * 1024 * 1024)
LOG_MAX_LINE_CHARS = 65536
# Processes parsing one large log whose lines read alone (most formats) in a
# worker; 1 parses in the worker itself. One by default: on two cores forked
# parsers were slower (47.8k against 66k lines/s, bench/ingest.py), since the
# PostgreSQL backend taking the COPY needs the other core. parselog, which
# writes no database, has its own --processes (default: the cores).
INGEST_PARSE_PROCESSES = env.int("INGEST_PARSE_PROCESSES", default=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Mail intake ------------------------------------------------------------------------------------------
# Users mail logs to MAIL_SUBMIT_ADDRESS with their token as a plus-address
# (submit+TOKEN@example.org), from an MTA pipe (manage.py ingest_mail) or an
# IMAP mailbox polled by the scheduler.
MAIL_SUBMIT_ADDRESS = env.str("MAIL_SUBMIT_ADDRESS", default="submit@localhost")
MAIL_MAX_BYTES = env.int("MAIL_MAX_BYTES", default=25 * 1024 * 1024)
MAIL_MAX_ATTACHMENT_BYTES = env.int("MAIL_MAX_ATTACHMENT_BYTES", default=20 * 1024 * 1024)
IMAP_HOST = env.str("IMAP_HOST", default="")
IMAP_PORT = env.int("IMAP_PORT", default=993)
IMAP_SSL = env.bool("IMAP_SSL", default=True)
IMAP_USER = env.str("IMAP_USER", default="")
IMAP_PASSWORD = env.str("IMAP_PASSWORD", default="")
IMAP_FOLDER = env.str("IMAP_FOLDER", default="INBOX")
# The authserv-id our own MTA writes in Authentication-Results. Set, a reply to an abuse report is verified only
# when the topmost such header shows DKIM or SPF passing for the sender's domain; empty, those headers are
# ignored, since anyone can write one.
MAIL_AUTHSERV_ID = env.str("MAIL_AUTHSERV_ID", default="")

# --- Reports ---------------------------------------------------------------------------------------------
# A source seen by at least this many other reporters on the same ports is "widespread".
REPORT_WIDESPREAD_REPORTERS = env.int("REPORT_WIDESPREAD_REPORTERS", default=5)

# --- FightBack: reports to the networks that own attacking sources ------------------------------------------
FIGHTBACK_MIN_REPORTERS = env.int("FIGHTBACK_MIN_REPORTERS", default=3)  # distinct reporters who saw the source
FIGHTBACK_WINDOW_HOURS = 72  # older events are not reported
FIGHTBACK_QUIET_DAYS = 30  # at most one report per contact and source in this many days
FIGHTBACK_MASK_OCTETS = env.int("FIGHTBACK_MASK_OCTETS", default=2)  # lower octets of destinations zeroed
# IPv6 destinations keep only this prefix: a /48 usually names one site, a /32 a provider.
FIGHTBACK_MASK_IPV6_PREFIX = env.int("FIGHTBACK_MASK_IPV6_PREFIX", default=32)
if not 0 <= FIGHTBACK_MASK_IPV6_PREFIX <= 32:
    raise ImproperlyConfigured("FIGHTBACK_MASK_IPV6_PREFIX must be 32 or shorter: a longer prefix names the reporter")
FIGHTBACK_REPLY_ADDRESS = env.str("FIGHTBACK_REPLY_ADDRESS", default="abuse-replies@localhost")
FIGHTBACK_PER_RUN = env.int("FIGHTBACK_PER_RUN", default=100)

# --- Per-user e-mail digests (reports.digests): due at 07:00 in each user's zone -----------------------------
CELERY_BEAT_SCHEDULE["send-digests"] = {"task": "reports.tasks.send_digests", "schedule": 900}

# --- Block list (reports.blocklist): built shortly after midnight UTC, signed once ---------------------------
# A PEM file with an EC P-256 private key; empty: one is generated under VAR_DIR and reused.
BLOCKLIST_SIGNING_KEY_FILE = env.str("BLOCKLIST_SIGNING_KEY_FILE", default="")
# Five minutes past midnight UTC (Celery runs crontabs in UTC: enable_utc, no
# CELERY_TIMEZONE), so the last batches of the day before are in the rollups.
CELERY_BEAT_SCHEDULE["build-blocklist"] = {
    "task": "reports.tasks.build_blocklist",
    "schedule": crontab(minute=5, hour=0),
}

# --- Public pages (reports.public): per-port distinct counts, recounted from the rollups -------------------
# The public pages say so: sources and reporters per port lag the events by at most this.
PORT_COUNTS_REFRESH_SECONDS = env.int("PORT_COUNTS_REFRESH_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["count-port-sources"] = {
    "task": "incidents.tasks.count_port_sources",
    "schedule": PORT_COUNTS_REFRESH_SECONDS,
}

# --- Trust (incidents.trust): who counts toward what the portal publishes ---------------------------------
# A reporter counts once verified, this many days old, with accepted logs on this many distinct days, and
# with a trust score of at least TRUST_MIN_SCORE; admins can vouch for or suspend anyone.
TRUST_PROBATION_DAYS = env.int("TRUST_PROBATION_DAYS", default=14)
TRUST_PROBATION_SUBMISSION_DAYS = env.int("TRUST_PROBATION_SUBMISSION_DAYS", default=3)
TRUST_MIN_SCORE = env.float("TRUST_MIN_SCORE", default=0.4)
# Reporters submitting from one autonomous system count once (offline ASN data, incidents.geo).
TRUST_GROUP_BY_ASN = env.bool("TRUST_GROUP_BY_ASN", default=True)
# Independent reporters (distinct networks) a source needs before it is listed, mailed about, widespread,
# or shown with its ports and times on public pages.
TRUST_MIN_NETWORKS = env.int("TRUST_MIN_NETWORKS", default=3)
PUBLIC_K_REPORTERS = env.int("PUBLIC_K_REPORTERS", default=3)
# One independent reporter's targets are counted up to this many per source and day in any ranking.
TRUST_TARGETS_PER_SOURCE_DAY = env.int("TRUST_TARGETS_PER_SOURCE_DAY", default=8)
# An admin approves the first abuse mail to a contact, and block-list entries new in the top with a sudden weight.
TRUST_REVIEW_FIRST_CONTACT = env.bool("TRUST_REVIEW_FIRST_CONTACT", default=True)
TRUST_REVIEW_NEW_LISTINGS = env.bool("TRUST_REVIEW_NEW_LISTINGS", default=True)
# A network delisted after a review stays out this long unless new independent reporters see it.
BLOCKLIST_DELIST_DAYS = env.int("BLOCKLIST_DELIST_DAYS", default=30)
# The portal's own reporter-facing networks (web, API and mail hosts; comma-separated CIDRs): never listed
# nor mailed about, whoever reports them (incidents.trust.known_networks).
PORTAL_OWN_NETWORKS = env.list("PORTAL_OWN_NETWORKS", default=[])
# Well-known infrastructure and research scanners, from the lists packages ship: reloaded daily, so a
# package upgrade or a new PORTAL_OWN_NETWORKS is in force by the next day without a migration.
CELERY_BEAT_SCHEDULE["refresh-known-networks"] = {
    "task": "incidents.trust.tasks.refresh_known_networks",
    "schedule": crontab(minute=40, hour=23),
}
CELERY_BEAT_SCHEDULE["refresh-standings"] = {"task": "incidents.trust.tasks.refresh_standings", "schedule": 3600}
