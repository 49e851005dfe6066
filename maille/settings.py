"""Django settings for Maille, read from environment variables with safe local defaults.

See docs/deploy.md for the production checklist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("MAILLE_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "maille-local-development-only-not-a-secret-4f1d9c2a7b"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET)
if SECRET_KEY == _DEV_SECRET and env_bool("MAILLE_PRODUCTION"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production (MAILLE_PRODUCTION=1).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "maille.core",
    "maille.accounts",
    "maille.territory",
    "maille.directory",
    "maille.patients",
    "maille.scheduling",
    "maille.notifications",
    "maille.public",
    "maille.api",
    "maille.diagnosis",
    "maille.quality",
    "maille.evaluation",
    "maille.demo",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The per-process settings caches read their change stamps once a request (ADR 0016).
    "maille.core.stamps.StampsReadOnceMiddleware",
    "maille.core.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "maille.core.middleware.NulCharacterMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maille.urls"
WSGI_APPLICATION = "maille.wsgi.application"
# The production server started by `maille serve` (gunicorn, gthread workers); see docs/deploy.md. Cores + 1
# workers of two threads: once a booking cost about 6 ms of server CPU, more processes and threads only fought over
# the cores (the booking benchmark's load, 2 cores, 16 clients, 2,300 bookings a run: 5 × 2 gave 147–173/s and
# 7.3–8.1 ms of server CPU a booking; 3 × 2 gave 174–190/s and 6.5–6.9 ms; 2 × 2 160–190/s; 3 × 3 and 4 × 2 worse).
# Six threads still leave room for a slow page (a PDF report) beside the bookings.
WEB_WORKERS = int(os.environ.get("WEB_WORKERS", str((os.cpu_count() or 1) + 1)))
WEB_THREADS = int(os.environ.get("WEB_THREADS", "2"))
ASGI_APPLICATION = "maille.asgi.application"

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
                "maille.accounts.navigation.navigation",
                "maille.public.context.booking_phone",
            ],
        },
    }
]

# Database: SQLite embedded by default, PostgreSQL in production and CI (DATABASE_URL).
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'maille.sqlite3'}"
# Persistent connections (checked before reuse): opening a PostgreSQL connection per request costs more
# CPU than a booking itself. DATABASE_CONN_MAX_AGE=0 closes them after each request.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE serialises write transactions: the SQLite half of "never double-booked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    INSTALLED_APPS.append("django.contrib.postgres")
    # Parameters bound by the server, and a statement run a few times on a connection prepared there: a booking's
    # statements are then planned once per connection instead of every time (ADR 0017; figures in
    # docs/benchmarks.md). DATABASE_PREPARE_THRESHOLD=0 turns preparing off (behind PgBouncer in transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")) or None,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in throttle (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one account, or from one
# address, sign-in is refused for AXES_COOLOFF_TIME with a French page; API tokens are not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "maille.accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "maille.accounts.throttle.client_address"
AXES_VERBOSE = False  # its log lines carry usernames and addresses
# Number of reverse proxies in front of the server whose X-Forwarded-For is trusted (0: none).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
# French only until translations exist (the interface strings are marked for translation).
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files (compressed, cacheable) without a separate web server; in local use it
# reads the finders directly so that no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Maille <ne-pas-repondre@maille.localhost>")
# The SMTP server (password-reset emails with EMAIL_BACKEND=…smtp…, and patients' emails with
# NOTIFICATIONS_EMAIL_BACKEND=smtp).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and env_bool("MAILLE_PRODUCTION"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if SECURE_SSL_REDIRECT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict CSP: every asset is vendored under static/vendor, nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# Optional base map tiles (none offline and in tests), e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png
MAILLE_MAP_TILES_URL = os.environ.get("MAILLE_MAP_TILES_URL", "")

# Travel times: empty means the offline great-circle engine (docs/planning.md); an OSRM server's base URL
# (e.g. http://osrm.internal:5000) switches to road times, cached on disk.
MAILLE_OSRM_URL = os.environ.get("MAILLE_OSRM_URL", "")
MAILLE_OSRM_CACHE_DIR = Path(os.environ.get("MAILLE_OSRM_CACHE_DIR", VAR_DIR / "osrm-cache"))

# The teleconsultation's video (maille.scheduling.video): "jitsi" (VIDEO_JITSI_URL, optional JWT with
# VIDEO_JITSI_APP_ID and VIDEO_JITSI_SECRET), "template" (VIDEO_URL_TEMPLATE with {room}, {appointment},
# {role}) or "" (none). meet.jit.si is for trying only: health data needs a certified (HDS) host.
VIDEO_PROVIDER = os.environ.get("VIDEO_PROVIDER", "jitsi")
VIDEO_JITSI_URL = os.environ.get("VIDEO_JITSI_URL", "https://meet.jit.si")
VIDEO_JITSI_APP_ID = os.environ.get("VIDEO_JITSI_APP_ID", "")
VIDEO_JITSI_SECRET = os.environ.get("VIDEO_JITSI_SECRET", "")
VIDEO_URL_TEMPLATE = os.environ.get("VIDEO_URL_TEMPLATE", "")
VIDEO_OPENS_MINUTES_BEFORE = int(os.environ.get("VIDEO_OPENS_MINUTES_BEFORE", "15"))
VIDEO_CLOSES_MINUTES_AFTER = int(os.environ.get("VIDEO_CLOSES_MINUTES_AFTER", "30"))

# The waiting list: how long a slot offered to a waiting patient stays theirs (hours), and the phone number
# messages tell patients to call (the regional booking service); the site's number when empty.
WAITLIST_OFFER_HOURS = int(os.environ.get("WAITLIST_OFFER_HOURS", "4"))
BOOKING_PHONE = os.environ.get("BOOKING_PHONE", "")

# How often the day pages (site, doctor) ask whether their list changed: a check-in reaches the doctor within it.
DAY_POLL_SECONDS = int(os.environ.get("DAY_POLL_SECONDS", "10"))

# Messages to patients (maille.notifications): backends "file" (local default: var/outbox.jsonl), "smtp"
# (email, Django's EMAIL_* settings) and "http" (SMS gateway: SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN).
NOTIFICATIONS_SMS_BACKEND = os.environ.get("NOTIFICATIONS_SMS_BACKEND", "file")
NOTIFICATIONS_EMAIL_BACKEND = os.environ.get("NOTIFICATIONS_EMAIL_BACKEND", "file")
NOTIFICATIONS_FILE = os.environ.get("NOTIFICATIONS_FILE", str(VAR_DIR / "outbox.jsonl"))
NOTIFICATIONS_TIMEOUT_SECONDS = float(os.environ.get("NOTIFICATIONS_TIMEOUT_SECONDS", "10"))
NOTIFICATIONS_MESSAGE_ID_DOMAIN = os.environ.get("NOTIFICATIONS_MESSAGE_ID_DOMAIN", "maille.invalid")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
# Where a département has no policy of its own: first reminder (hours before), second reminder, monthly SMS
# budget (0: none), warning at this share of the budget (%).
NOTIFICATIONS_DEFAULT_POLICY = (24, 3, 2000, 80)
# After this many days a finished message's address and text are blanked (the row and its counts stay).
NOTIFICATIONS_RETENTION_DAYS = int(os.environ.get("NOTIFICATIONS_RETENTION_DAYS", "365"))

# Codes of public bookings are shown on the outbox page only while messages stay on this machine (the
# local "file" backends of the demo): with a real gateway nobody but the patient reads them.
NOTIFICATIONS_SHOW_CODES = env_bool(
    "NOTIFICATIONS_SHOW_CODES", NOTIFICATIONS_SMS_BACKEND == "file" and NOTIFICATIONS_EMAIL_BACKEND == "file"
)

# Public booking (maille.public, pages without an account): the address the links in messages start with;
# how long a slot stays held while the patient gives their details and code; the code's life, tries and
# resends; how long a link to manage an appointment lives after it; the kinds of use patients book alone
# (télésurveillance and téléexpertise are arranged by the care team); rate limits (count, seconds) per
# client address and per phone number or email address.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
PUBLIC_HOLD_MINUTES = int(os.environ.get("PUBLIC_HOLD_MINUTES", "15"))
PUBLIC_CODE_MINUTES = int(os.environ.get("PUBLIC_CODE_MINUTES", "10"))
PUBLIC_CODE_TRIES = 5
PUBLIC_CODES_PER_REQUEST = 3
PUBLIC_LINK_DAYS_AFTER = 30
PUBLIC_USE_KINDS = ("tlc_generale", "tlc_specialisee", "prevention")
# How long (seconds) a process reuses every site's next free times on the public slot page (the hold checks
# the slot again; 0: computed for every request).
PUBLIC_SLOTS_CACHE_SECONDS = int(os.environ.get("PUBLIC_SLOTS_CACHE_SECONDS", "30"))
PUBLIC_RATE_LIMITS = {
    "hold_per_address": (int(os.environ.get("PUBLIC_HOLDS_PER_HOUR", "30")), 3600),
    "code_per_address": (int(os.environ.get("PUBLIC_CODES_PER_HOUR", "10")), 3600),
    "code_per_contact": (5, 3600),
    "code_per_contact_day": (10, 86400),
    "check_per_address": (30, 3600),
}

# How long (seconds) a process reuses today's diagnosis of a zone for a user between two what-ifs (0: never).
DIAGNOSIS_TODAY_CACHE_SECONDS = int(os.environ.get("DIAGNOSIS_TODAY_CACHE_SECONDS", "30"))
# Longest a single HiGHS solve of the web optimiser may run (seconds); past it, its best solution and gap.
DIAGNOSIS_OPTIMISER_SECONDS = float(os.environ.get("DIAGNOSIS_OPTIMISER_SECONDS", "120"))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "maille"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Request bodies and query strings may carry patient data: never log them.
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # WeasyPrint logs each rendering step at INFO: only its problems
        "weasyprint": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fontTools": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# API clients authenticate with a bearer token (see accounts.ApiToken).
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

# Quality (maille.quality): evidence files of self-assessments live outside the web root and are served only
# through the page that checks who may read them.
QUALITY_EVIDENCE_DIR = Path(os.environ.get("QUALITY_EVIDENCE_DIR", VAR_DIR / "evidence"))
QUALITY_EVIDENCE_MAX_BYTES = int(os.environ.get("QUALITY_EVIDENCE_MAX_BYTES", str(5 * 1024 * 1024)))
QUALITY_EVIDENCE_FILES_PER_ANSWER = 5
# An overdue action of a quality plan is reminded to its owner by email, again every this many days.
QUALITY_ACTION_REMINDER_DAYS = int(os.environ.get("QUALITY_ACTION_REMINDER_DAYS", "7"))
# How long a quality label stays valid once granted (days).
QUALITY_LABEL_VALIDITY_DAYS = int(os.environ.get("QUALITY_LABEL_VALIDITY_DAYS", "1095"))
# The public page that checks a quality document's code: lookups per client address (count, seconds).
QUALITY_VERIFY_RATE_LIMIT = (30, 3600)

# Evaluation (maille.evaluation): the key of the patients' pseudonyms in the activity ledger. Set it in production
# and never change it (a new key makes every patient a new one for the indicators); by default it is derived from
# SECRET_KEY.
EVALUATION_PSEUDONYM_KEY = (
    os.environ.get("EVALUATION_PSEUDONYM_KEY")
    or hashlib.sha256(f"maille.evaluation.pseudonym:{SECRET_KEY}".encode()).hexdigest()
)
# The indicators of a period and zone, kept per process this many seconds (under the ledger's version: a new act
# or appointment transition recomputes them; 0: computed at each request).
EVALUATION_INDICATORS_CACHE_SECONDS = int(os.environ.get("EVALUATION_INDICATORS_CACHE_SECONDS", "300"))
# Satisfaction surveys: a patient is invited after a completed teleconsultation (by SMS or email, this many hours
# later, moved into 9 h–19 h), at most once every EVALUATION_SURVEY_PATIENT_INTERVAL_DAYS; a link answers once and
# lives EVALUATION_SURVEY_VALID_DAYS; a group's results show from EVALUATION_SURVEY_MIN_ANSWERS answers (fewer
# could identify who answered).
EVALUATION_SURVEY_PATIENTS = env_bool("EVALUATION_SURVEY_PATIENTS", True)
EVALUATION_SURVEY_DELAY_HOURS = int(os.environ.get("EVALUATION_SURVEY_DELAY_HOURS", "2"))
EVALUATION_SURVEY_PATIENT_INTERVAL_DAYS = int(os.environ.get("EVALUATION_SURVEY_PATIENT_INTERVAL_DAYS", "90"))
EVALUATION_SURVEY_VALID_DAYS = int(os.environ.get("EVALUATION_SURVEY_VALID_DAYS", "30"))
EVALUATION_SURVEY_MIN_ANSWERS = int(os.environ.get("EVALUATION_SURVEY_MIN_ANSWERS", "5"))
# The public survey page: requests per client address (count, seconds); a site's tablet may serve many patients.
EVALUATION_SURVEY_RATE_LIMIT = (120, 3600)
