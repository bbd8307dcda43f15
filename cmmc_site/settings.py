"""One settings module for every environment; everything that differs comes from the environment.

With no environment variables at all it runs a local development site on SQLite. Security settings
are read from the environment explicitly and never derived from ``DEBUG``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789abcdef")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The site's address (scheme and host, no path) for links in emails, never taken from a request's Host header
# (cmmc_site/links.py). Set it in production, e.g. https://cmmc.example.com.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "cmmc_site.apps.SiteStaticFilesConfig",  # django.contrib.staticfiles, without unused Bootstrap builds
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "cmmc_site.apps.SiteConfig",  # the site layer's own model: the rate-limit counters
    "django_tasks_db",
    "controls",
    "assessments",
    "accounts",
    "orgs",
    "ssp",
    "iso27001",
    "timeline",
    "guidance",
]

MIDDLEWARE = [
    # First: every response gets an X-Request-ID and every log line of the request carries it.
    "cmmc_site.request_logging.RequestIdMiddleware",
    "cmmc_site.health.HealthCheckMiddleware",  # /healthz: before sessions, auth, HTTPS redirect and Host check
    "cmmc_site.csp_report.CspReportMiddleware",  # /csp-report/: browsers post without cookies or CSRF token
    # CSP and X-Frame-Options wrap everything below them, so even a response made when a middleware refuses the
    # request early (a Host not in ALLOWED_HOSTS: 400) carries them.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Bodies over the route's limit get 413 before anything reads them; uploads are rate limited. Nothing above
    # reads a body (see cmmc_site/body_limits.py), and the middlewares above give its refusals their headers.
    "cmmc_site.body_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session lifetimes, then MFA before anything else (see accounts/middleware.py).
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
    "accounts.middleware.clear_site_data_on_logout",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

# Overridable only so `make bench` can add its bare baseline view (bench/urls.py) without a public URL.
ROOT_URLCONF = os.environ.get("ROOT_URLCONF", "cmmc_site.urls")
WSGI_APPLICATION = "cmmc_site.wsgi.application"

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
                "cmmc_site.context_processors.csrf_cookie_name",
                "guidance.context_processors.rulebook",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # With persistent connections, check one before reusing it (a restarted PostgreSQL drops them all).
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cache_table",
        # The cache holds rate-limit counters: the default cap of 300 entries would let a client evict its own
        # counters by creating many keys (culling deletes arbitrary entries).
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CACHE_MAX_ENTRIES", "1000000"))},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.CommonPasswordVariantValidator"},
    # No composition rules (ASVS 6.2.5): NumericPasswordValidator is deliberately left out; any 12+ character
    # passphrase that is not on the common list is accepted, unicode and emoji included, with no maximum below 128.
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from npm (package-lock.json); nothing third-party is committed.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    # The SSP PDF's font: DejaVu Sans from Debian's fonts-dejavu-core (installed by .ci/run), never committed.
    ("vendor/dejavu", Path(os.environ.get("SSP_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))),
    # Its fallbacks for what DejaVu Sans cannot draw (ssp/fonts.py): fonts-noto-core and fonts-noto-color-emoji,
    # and fonts-noto-cjk for Chinese, Japanese and Korean (installed by .ci/run), never committed.
    ("vendor/noto", Path(os.environ.get("SSP_NOTO_DIR", "/usr/share/fonts/truetype/noto"))),
    ("vendor/noto-cjk", Path(os.environ.get("SSP_NOTO_CJK_DIR", "/usr/share/fonts/opentype/noto"))),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The whole catalog fixture, loaded by `manage.py load_catalog` (and `make run`).
CATALOG_FIXTURE = BASE_DIR / "fixtures" / "catalog.yaml"

# --- Security: every value comes from the environment, with safe defaults for local use. ---
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    # Browsers post what the policy blocked here; it is logged (cmmc_site/csp_report.py).
    "report-uri": ["/csp-report/"],
}
# Never a referrer to another site. Not "no-referrer": with it Chromium sends `Origin: null` on every same-origin
# form POST, which Django's CSRF check rightly refuses (403), so no plain form would work. "same-origin" leaks
# nothing to anyone else and keeps the CSRF Origin/Referer checks intact.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# Over HTTPS the cookies take the __Host- prefix: the browser then insists on Secure, Path=/ and no Domain, so no
# sibling subdomain can plant or overwrite them.
SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME",
                                     "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid")
CSRF_COOKIE_NAME = os.environ.get("CSRF_COOKIE_NAME", "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Anonymous assessments live in the session: a long-ish absolute lifetime, renewed on use.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(14 * 24 * 3600)))
# An anonymous assessment expires this many days after its last change: its holder gets 410, and
# `manage.py purge_expired_assessments` (daily, see README) deletes it. Organisations' assessments never expire.
ANONYMOUS_RETENTION_DAYS = int(os.environ.get("ANONYMOUS_RETENTION_DAYS", "90"))
SESSION_SAVE_EVERY_REQUEST = False
# Signed-in sessions (accounts/middleware.py): signed out after this long without a request, and this long in all.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(12 * 3600)))

# Answer pages post one answer per request, but an objective-mode family page can still be big.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Any larger body gets 413 unread, except on the upload routes (cmmc_site/body_limits.py; the largest is the import:
# 32 MB and room for the form, which the proxy must let through, README, Deploying). Above DATA_UPLOAD_MAX_MEMORY_SIZE
# so that a form just over that still gets Django's own 400.
MAX_REQUEST_BODY = 3 * 1024 * 1024
UPLOAD_RATE_LIMIT = (int(os.environ.get("UPLOAD_RATE_LIMIT", "10")), 60)  # uploads per client address per minute

# One JSON line per event on stdout, with the request id; never secrets or note text (cmmc_site/request_logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "cmmc_site.request_logging.RequestIdFilter"},
        "library_text": {"()": "cmmc_site.request_logging.LibraryTextFilter"},
    },
    "formatters": {"json": {"()": "cmmc_site.request_logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "cmmc_site.request_logging.StdoutHandler", "formatter": "json",
            "filters": ["library_text", "request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own loggers go through the JSON handler too (not its plain-text console or mail_admins).
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # WeasyPrint logs every layout step at INFO; only its warnings (e.g. a refused URL) are worth a line, and
        # never the document text that some carry (a missing glyph's character), nor fontTools' lists of them.
        "weasyprint": {"level": "WARNING", "filters": ["library_text"]},
        "fontTools": {"level": "WARNING", "filters": ["library_text"]},
    },
}

# Email (password resets and invitations): console by default.
MAILERS = {
    "default": {"BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")},
}
if os.environ.get("EMAIL_HOST"):
    # Production: SMTP with TLS (password resets, verification and invitations), e.g. EMAIL_HOST=smtp.example.com.
    MAILERS["default"] = {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": os.environ["EMAIL_HOST"],
            "port": int(os.environ.get("EMAIL_PORT", "587")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
            "timeout": 10,
        },
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cmmc-ready@localhost")
# Deadline reminders (timeline/reminders.py) go out only where email really leaves the machine: on with SMTP.
DEADLINE_REMINDERS = env_bool("DEADLINE_REMINDERS", bool(os.environ.get("EMAIL_HOST")))

# Background tasks (Django's task framework): run at once in the process that enqueues them (development, tests),
# or stored in the database for `manage.py db_worker` (django-tasks-db) with TASKS_BACKEND=database.
TASK_BACKENDS = {"immediate": "django.tasks.backends.immediate.ImmediateBackend",
                 "database": "django_tasks_db.DatabaseBackend"}
if os.environ.get("TASKS_BACKEND", "immediate") not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "immediate")]}}

# --- Accounts: django-allauth, email + password, verified email, TOTP required (accounts/middleware.py). ---
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "orgs:after_login"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"  # logs a security event, then Django's own 403 page
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CMMC Ready] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_bool("SESSION_COOKIE_SECURE", False) else "http"
# Counted in the shared database cache, so every app server sees the same counts (see README, Security).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/m/ip",
    "reset_password": "10/m/ip,3/m/key",  # nosec B105: a rate limit, not a password
    "reset_password_from_key": "20/m/ip",  # nosec B105: a rate limit, not a password
    "change_password": "5/m/user",  # nosec B105: a rate limit, not a password
    "reauthenticate": "10/m/user",
}
# The client IP is REMOTE_ADDR unless a proxy count is configured; X-Forwarded-For is ignored by default.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("ALLAUTH_TRUSTED_PROXY_COUNT", "0"))
MFA_ADAPTER = "accounts.adapter.MFAAdapter"  # stores TOTP secrets and recovery-code seeds encrypted
# Comma-separated Fernet keys (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key())"`):
# the first encrypts, all decrypt (rotation: README, Security). None: a key derived from SECRET_KEY.
MFA_ENCRYPTION_KEYS = env_list("MFA_ENCRYPTION_KEY")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CMMC Ready"
MFA_TOTP_TOLERANCE = 1  # one 30 s step of clock drift; a used code is refused for the whole window
MFA_FORMS = {"activate_totp": "accounts.forms.ActivateTOTPForm"}

# Serve static files through WhiteNoise from the finders too, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# collectstatic makes gzip and brotli copies; not of source maps (developer tools only) nor of the PDF fonts (read
# from disk by WeasyPrint): compressing those megabytes took minutes.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map", "ttf", "ttc", "otf"]

# --- Production: app servers, document renders, request ids (see README, Deploying). ---
# Set to the header a trusted proxy fills with its request id (e.g. X-Request-ID); empty: always make our own.
REQUEST_ID_HEADER = os.environ.get("REQUEST_ID_HEADER", "")
RENDER_CONCURRENCY = int(os.environ.get("RENDER_CONCURRENCY", "2"))  # concurrent DOCX/PDF renders per process
RENDER_TIMEOUT = int(os.environ.get("RENDER_TIMEOUT", "60"))  # seconds before a render process is killed
RENDER_MEMORY_MB = int(os.environ.get("RENDER_MEMORY_MB", "1024"))  # address-space limit of a render process
RENDER_RATE_LIMIT = (int(os.environ.get("RENDER_RATE_LIMIT", "20")), 60)  # renders per client per minute
