"""Settings, configured from the environment (12-factor).

DATABASE_URL  PostgreSQL (postgres://user@host:5432/name, through psycopg 3); default: SQLite in var/.
SECRET_KEY    required when DEBUG is off: at least 50 random characters.
BEHIND_HTTPS_PROXY  on when a reverse proxy terminates HTTPS and sets X-Forwarded-Proto (trusted only then).
SECURE_HSTS_PRELOAD on to ask browsers to preload HTTPS for the host (off by default: a deliberate choice).
DEBUG         on/off switch (never on in production).
ALLOWED_HOSTS comma-separated host names.
EMAIL_URL     outgoing mail as one URL: smtp://user:password@host:25, smtp+tls://… (STARTTLS) or smtps://…
              (TLS); or EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS.
PERFEVAL_BASE_URL  the address people open (https://perfeval.example.gov.cn): links in mails sent by commands.

On/off switches take 1/0, true/false, yes/no or on/off (any case); blank means the default, anything else
stops the start with the variable's name. The test suite runs on perfeval.settings.test (chosen by pytest).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name, default=False):
    """An on/off switch from the environment. A typo (DEBUG=fasle) must not silently mean "off"."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not an on/off value: "
        "use 1/0, true/false, yes/no or on/off (or leave it empty)."
    )


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
    elif os.environ.get("DJANGO_SETTINGS_MODULE") != f"{__name__}.test":
        # Python runs this package before its submodule perfeval.settings.test, which sets its own key.
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README, Configuration).")
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")):
    # Sessions, CSRF tokens and password-reset links are signed with it: a short key can be guessed offline.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production: use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' (see README, Configuration)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "perfeval.admin_site.SuperuserAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_tasks_db",
    "axes",
    "projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the web process itself, compressed and with far-future caching of hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "projects.middleware.ChineseByDefaultLocaleMiddleware",
    "projects.middleware.private_pages",
    "projects.middleware.request_log",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Widgets through Jinja2, several times faster on the editor's ~200 inputs (see perfeval.renderers).
FORM_RENDERER = "perfeval.renderers.FormRenderer"

ROOT_URLCONF = "perfeval.urls"
WSGI_APPLICATION = "perfeval.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'perfeval.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite for concurrent requests (runserver's threads, the task worker): WAL lets readers and one writer work
    # side by side; IMMEDIATE takes the write lock when a transaction starts, so a transaction that reads and then
    # writes waits its turn instead of failing at once with "database is locked" (a deferred transaction cannot
    # wait to turn from reader into writer); `timeout` is SQLite's busy timeout, in seconds, for that wait.
    # synchronous=NORMAL is safe with WAL (a power cut may lose the last commits, never corrupt the file).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Each language is named in its own words, so anyone can find theirs.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production, hashed and compressed copies made by collectstatic (`make serve` runs it); the development
    # server serves the files as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Password guessing (django-axes, failures kept in the database so every web process sees them): after
# AXES_FAILURE_LIMIT wrong passwords for one account, or from one address, that account or address waits
# AXES_COOLOFF_TIME. A successful sign-in clears the address's count, so an office behind one NAT address is
# not locked out by its clerks' typos. A superuser unlocks early in the admin (访问尝试) or with
# `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# The address of the request as the server sees it; behind a proxy, the proxy's X-Forwarded-For is used only
# when the proxy is declared (the same switch that trusts its X-Forwarded-Proto).
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Background work (batch PDF printing) through Django's tasks framework, stored in the database.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# Built-in CSP: everything is served from our own origin (assets are vendored, no CDN).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Features a form-filling site never uses, switched off for every page (and for anything an upload might smuggle).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer probes the health endpoint over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading puts the host name into the browsers' own lists for months: a deliberate choice, never a default
    # (an intranet name cannot be preloaded at all). Django's check W021 asks for it; it is silenced until chosen.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # X-Forwarded-Proto says "this came over HTTPS" only when a proxy in front sets it (and strips the client's own);
    # without one, any client could claim it.
    if env_bool("BEHIND_HTTPS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        # The address the one proxy in front appended (right-most), never what the client wrote before it.
        AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
        AXES_IPWARE_PROXY_ORDER = "right-most"
        AXES_IPWARE_PROXY_COUNT = 1

# Uploads (佐证材料, Excel and JSON imports).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The editor posts about 20 fields per indicator row and allows 200 rows (Django's default is 1000 fields).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# 佐证材料: the largest file a unit may attach.
PERFEVAL_ATTACHMENT_MAX_BYTES = int(os.environ.get("PERFEVAL_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))

# Printing. The font family is a setting so that a unit with a licensed 宋体 / 仿宋 can use it.
PERFEVAL_PDF_FONT_FAMILY = os.environ.get("PERFEVAL_PDF_FONT_FAMILY", '"Noto Serif CJK SC", "Noto Serif CJK"')
# The GB 2312 subset of the CJK font is built once per machine and kept here.
PERFEVAL_PDF_FONT_CACHE = Path(os.environ.get("PERFEVAL_PDF_FONT_CACHE", BASE_DIR / "var" / "cache" / "pdf-fonts"))
# Finished batch PDFs (private: served only through a permission-checked view).
PERFEVAL_PRINT_ROOT = Path(os.environ.get("PERFEVAL_PRINT_ROOT", BASE_DIR / "var" / "print-jobs"))
# Worker processes rendering a batch; empty means one per core this process may use.
PERFEVAL_PDF_WORKERS = int(os.environ["PERFEVAL_PDF_WORKERS"]) if os.environ.get("PERFEVAL_PDF_WORKERS") else None
# Seconds a PDF may take in a web request (projects.printing.limits), well inside gunicorn's WEB_TIMEOUT; 0 renders
# in the web process itself, without a limit.
PERFEVAL_PDF_TIME_LIMIT = float(os.environ.get("PERFEVAL_PDF_TIME_LIMIT", "20"))


# E-mail (a new account's 设置密码 link, projects.directory; reminders, projects.campaign): SMTP from the
# environment (EMAIL_URL, or the EMAIL_HOST… variables); the console under DEBUG. The URL is read here with
# urllib: the maintained parsers of it write the pre-6.0 EMAIL_* settings, not MAILERS.
def smtp_options(url: str) -> dict:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+tls", "smtps"):
        raise ImproperlyConfigured(f"EMAIL_URL must start with smtp://, smtp+tls:// or smtps://, not {parts.scheme}://")
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if parts.scheme == "smtps" else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": parts.scheme == "smtp+tls",
        "use_ssl": parts.scheme == "smtps",
    }


if os.environ.get("EMAIL_URL"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": smtp_options(os.environ["EMAIL_URL"]),
        }
    }
elif os.environ.get("EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": os.environ.get("EMAIL_USE_TLS", "") == "1",
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
PERFEVAL_BASE_URL = os.environ.get("PERFEVAL_BASE_URL", "http://localhost:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "perfeval@localhost")
# A 设置密码 link is good for three days (Django's password reset token).
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "pypdf": {"level": "ERROR"},  # every malformed 佐证材料 upload would log pypdf's own warnings
        # One line per request (projects.middleware.request_log): on under `make serve` (LOG_REQUESTS=1).
        "perfeval.request": {"level": "INFO" if env_bool("LOG_REQUESTS") else "WARNING"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
