"""Settings for Safeguard, read once from the environment.

Production rules apply unless DJANGO_ENV=development: the site then refuses to start without
SECRET_KEY, AUDIT_KEY and ALLOWED_HOSTS, and every transport-security setting is on.
The README lists every variable.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from safeguarding.env import (
    database_from_environment,
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_json,
    env_list,
    env_str,
)
from safeguarding.settings_defaults import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_choice("DJANGO_ENV", ("production", "development"), default="production")
DEVELOPMENT = DJANGO_ENV == "development"

if DEVELOPMENT:
    # Fixed, public values: good enough for a laptop, refused by `check --deploy`.
    SECRET_KEY = env_str("SECRET_KEY", "development-only-secret-key-never-use-in-production")
    AUDIT_KEY = env_str("AUDIT_KEY", "development-only-audit-key-never-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    SECRET_KEY = env_str("SECRET_KEY")
    AUDIT_KEY = env_str("AUDIT_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if len(AUDIT_KEY) < 32:
        raise ImproperlyConfigured("AUDIT_KEY must be at least 32 characters long.")

# The demo (`manage.py seed_demo`, development only): one password for every demo account, and one
# authenticator secret (base32) for every demo account that needs a second factor.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
DEMO_TOTP_SECRET = env_str("DEMO_TOTP_SECRET", DEFAULT_DEMO_TOTP_SECRET)

# The technical error pages show settings and stack traces: never on by default, even for development.
DEBUG = env_bool("DEBUG", False)
if DEBUG and not DEVELOPMENT:
    raise ImproperlyConfigured("DEBUG may only be turned on with DJANGO_ENV=development.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before django_tasks_db: its `db_worker` command is extended here to wait out a database outage.
    "safeguarding.core",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "safeguarding.accounts",
    "safeguarding.audit",
    "safeguarding.trail",
    "referrals",
]

MIDDLEWARE = [
    "safeguarding.core.middleware.ProxyClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "safeguarding.core.middleware.RequestIdMiddleware",
    "safeguarding.core.middleware.HeaderNulMiddleware",
    "safeguarding.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "safeguarding.accounts.middleware.SessionPolicyMiddleware",
    "safeguarding.audit.middleware.AuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lock-out into our sign-in page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safeguarding.urls"
WSGI_APPLICATION = "safeguarding.wsgi.application"
ASGI_APPLICATION = "safeguarding.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeguarding.core.context_processors.site",
            ],
        },
    },
]

# Database: DATABASE_URL, else the PG* variables, else an SQLite file under var/ so that
# `make run` works on a bare machine. PostgreSQL is the database of record.
VAR_DIR = BASE_DIR / "var"
DATABASES = {"default": database_from_environment(VAR_DIR / "safeguard.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1))
    # Behind PgBouncer in transaction pooling, each transaction may land on another server connection: no cursor
    # may outlive its transaction and no statement may be prepared on one connection and run on the next.
    if env_choice("DATABASE_POOLER", ("none", "session", "transaction"), default="none") == "transaction":
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
    # A streaming replica for the reads that ask for it (safeguarding/core/replica.py); writes never go there.
    if replica_url := env_str("REPLICA_DATABASE_URL", ""):
        DATABASES["replica"] = {
            **DATABASES["default"],
            **database_from_url(replica_url),
            "DISABLE_SERVER_SIDE_CURSORS": False,
            "TEST": {"MIRROR": "default"},
        }
        DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Audit events for reads and refusals go through a second connection to the same database, in autocommit, so
# they are committed before any data leaves and survive a request that fails afterwards (DESIGN.md §6).
# SQLite allows one writer at a time, so there both kinds go through the main connection.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["audit"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
    AUDIT_DB_ALIAS = "audit"
else:
    AUDIT_DB_ALIAS = "default"
DATABASE_ROUTERS = ["safeguarding.audit.router.AuditRouter", "safeguarding.core.replica.ReplicaRouter"]
# Files added to concerns, background exports, subject access packs and transfer packages are kept in the storage
# named "default" below, never on one host's disk, and served only through audited views (safeguarding/core/files.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads go to a temporary file, not memory
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Exports larger than this many rows are built in the background; their files are deleted after this long.
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 20_000, minimum=0)
EXPORT_FILE_HOURS = env_int("EXPORT_FILE_HOURS", 24, minimum=1)
# Child protection files sent to or received from other schools, and the deployment's key that signs them.
TRANSFER_SIGNING_KEY_PATH = Path(
    env_str("TRANSFER_SIGNING_KEY_PATH", str(BASE_DIR / "var" / "transfer-signing-key.pem"))
)
# A secure link to a file lasts this long; this many wrong codes close it.
TRANSFER_LINK_DAYS = 7
TRANSFER_LINK_WRONG_CODES = 5
# Subject access packs, made at sign-off and deleted this many days later (released or not).
ACCESS_PACK_DAYS = env_int("ACCESS_PACK_DAYS", 7, minimum=1)
AUDIT_ANCHOR_PATH = Path(env_str("AUDIT_ANCHOR_PATH", str(BASE_DIR / "var" / "audit-anchor.json")))
# How late an event may be sealed before verify_audit calls it inserted (the sealer runs every minute).
AUDIT_SEAL_GRACE_MINUTES = env_int("AUDIT_SEAL_GRACE_MINUTES", 30, minimum=2)
# The audit period: a month of the trail is retired whole (`retire_audit_month`) only this many years after it ends.
AUDIT_RETENTION_YEARS = env_int("AUDIT_RETENTION_YEARS", 10, minimum=1)

# Background work: Django's tasks framework, stored in the database and run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Health: how long the worker and the scheduler may stay silent before /healthz answers 503.
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", 10, minimum=1)
SCHEDULER_MAX_SILENCE_SECONDS = env_int("SCHEDULER_MAX_SILENCE_SECONDS", 120, minimum=1)
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 60, minimum=1)
WORKER_MAX_SILENCE_SECONDS = env_int("WORKER_MAX_SILENCE_SECONDS", 300, minimum=1)

# Accounts and sign-in (DESIGN.md §7).
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "safeguarding.accounts.password_strength.GuessablePasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = 60 * 60
OTP_TOTP_ISSUER = "Safeguard"
# Passkeys belong to the host name the site is served under; set this to a parent domain to share them with its
# subdomains (safeguarding/accounts/passkeys.py).
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")
# Lock an account for a while after repeated failed sign-ins.
# Rate limits: (requests, per seconds) for one person, shared by every web process (safeguarding/accounts/ratelimit.py).
RATE_LIMITS = {
    "second_factor": (env_int("RATE_LIMIT_SECOND_FACTOR", 10, minimum=1), 15 * 60),
    "search": (env_int("RATE_LIMIT_SEARCH", 120, minimum=1), 60),
    "export": (env_int("RATE_LIMIT_EXPORT", 10, minimum=1), 60 * 60),
    # Failed sign-ins from one address, across any accounts (R12.7); only failures count, so a staff room behind one
    # address signing in correctly is never slowed.
    # Passkey challenges asked for by one address before anyone signs in: generous, for a staff room, yet each is a
    # session written to the database.
    # Codes tried on transfer links from one address, whichever link: a second bound beside each link's own limit.
    "transfer_codes": (env_int("TRANSFER_CODES_PER_ADDRESS", 20, minimum=1), 15 * 60),
    "passkey_challenges": (env_int("PASSKEY_CHALLENGES_PER_ADDRESS", 300, minimum=1), 15 * 60),
    "signin_failures": (
        env_int("SIGNIN_ADDRESS_FAILURES", 30, minimum=1),
        60 * env_int("SIGNIN_ADDRESS_WINDOW_MINUTES", 15, minimum=1),
    ),
}
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# Per account, not per address: a school's staff share one public address behind its router, and one
# person mistyping must not lock out the whole staff room. axes warns about this (W006); it is deliberate.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "safeguarding.accounts.signin.axes_username"
AXES_LOCKOUT_CALLABLE = "safeguarding.accounts.views.signin.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "code"]
# Sessions: 15 minutes idle for roles with a second factor, 30 for staff, 12 hours at most.
SESSION_IDLE_MINUTES_PRIVILEGED = 15
SESSION_IDLE_MINUTES = 30
SESSION_ABSOLUTE_HOURS = 12
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email leaves through the task worker. In development it is printed by the worker.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEVELOPMENT else f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Safeguard <safeguard@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAILERS = {
    "default": {
        "BACKEND": env_str(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend"
            if DEVELOPMENT
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
# A failed send is tried again after EMAIL_RETRY_SECONDS x 2, x 4, x 8 ... (2, 4, 8, 16 and 32 minutes by default).
EMAIL_RETRY_SECONDS = env_int("EMAIL_RETRY_SECONDS", 60, minimum=1)
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 20,
    }

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Stored files: in the database by default, so every application host sees the same files and every backup holds
# them. A large deployment may name an S3-compatible store instead (docs/deployment.md), e.g.
#   FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage FILE_STORAGE_OPTIONS='{"bucket_name": "safeguard"}'
STORAGES = {
    "default": {
        "BACKEND": env_str("FILE_STORAGE_BACKEND", "safeguarding.core.files.DatabaseStorage"),
        "OPTIONS": env_json("FILE_STORAGE_OPTIONS", {}),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves straight from the app and static folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = DEVELOPMENT
WHITENOISE_AUTOREFRESH = DEVELOPMENT

# Transport and browser security. Production defaults are strict; development serves plain http.
SECURE = not DEVELOPMENT
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Over HTTPS the cookies take the __Host- prefix: the browser then keeps them to this exact host, path /, Secure.
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE else "csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE)
if env_bool("BEHIND_TLS_PROXY", False):
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The header in which the proxy gives the client's address (e.g. X-Real-IP), for the audit trail and the counts per
# address; unset, the address is the one the connection came from. Only a header the proxy always sets itself.
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER", "")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Enforced, not report-only. No inline script or style anywhere: everything comes from our own static files,
# and each page's own script and stylesheet tags also carry that response's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # Bootstrap draws its form controls with data: SVG images.
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Logs go to standard error with the request's reference id. They never carry a child's details,
# narrative text, passwords, codes or session keys.
LOG_LEVEL = env_choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "safeguarding.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes names the account in every success; only lock-outs and failures are worth a line.
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
