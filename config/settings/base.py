"""Settings shared by every environment. Everything that differs between machines comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base of links written in e-mails (no request is at hand in a task).
BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "widget_tweaks",
    "dsfr",
    "csp",
    "ninja",
    "django_tasks",
    # core comes before django_tasks_db so that its `db_worker` (the same worker plus a heartbeat and
    # the notification sweep) is the one `manage.py db_worker` runs.
    "incubateur.core",
    "django_tasks_db",
    "incubateur.ui",
    "incubateur.accounts",
    "incubateur.public",
    "incubateur.organisation",
    "incubateur.registry",
    "incubateur.guichet",
    "incubateur.programmes",
    "incubateur.portfolios",
    "incubateur.community",
    "incubateur.recruitment",
    "incubateur.transparency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public files published like files (#19): answered here, on the static path, when fresh.
    "incubateur.core.published.PublishedFilesMiddleware",
    # Before sessions and authentication: an anonymous hit on a public page costs one query (its stamps' versions).
    "incubateur.core.pagecache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # NUL, lone surrogates and bodies over the limit are a 400 here, before any view or `process_view` (CSRF's
    # reads the form) reads the input; after the middlewares that add headers and the user to the 400 page.
    "incubateur.core.middleware.HostileInputMiddleware",
    "incubateur.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "incubateur.core.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incubateur.core.context_processors.platform",
            ],
            # French as it is written, in every template without a {% load %}: |date_fr (« 1er mai 2026 »),
            # |datetime_fr, |month_fr, |de (« d’Antoine »), |pluriel and {% nombre %} (« 0 lauréat »).
            "builtins": ["incubateur.ui.templatetags.french"],
        },
    },
]

# django-dsfr's form renderer, shared: without this setting every DSFR form builds its own template engine and
# parses its templates from disk on each render (measured: 4.1 ms → 1.7 ms for /connexion/).
FORM_RENDERER = "dsfr.forms.DsfrDjangoTemplates"
# DSFR now marks optional fields ("Facultatif"), not required ones. django-dsfr's field tag reads this setting;
# `ui.forms.BaseForm` renders without the transition warning DsfrBaseForm would raise for it.
DSFR_MARK_OPTIONAL_FIELDS = True

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two writers queue on the busy
        # timeout instead of failing with "database is locked" on the upgrade from read to write.
        "transaction_mode": "IMMEDIATE",
        "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "5")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Persistent connections (one per thread; Django drops one after an error): a new SQLite connection parses the
    # whole schema on its first query, milliseconds that a page served from the cache with one query would pay on
    # every request (#19).
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("SQLITE_CONN_MAX_AGE", "600"))
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(os.environ.get("DB_CONNECT_TIMEOUT", "3"))
    if env_bool("DB_POOL", True):
        # Django's own psycopg pool (persistent connections must then stay off).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "8")),
            "timeout": 5,
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Request bodies -------------------------------------------------------------------------------
# The limit of a whole body (form or JSON), refused with a 400 by core.middleware.HostileInputMiddleware, except a
# multipart form under UPLOAD_PATH_PREFIXES (the guichet's attachments, #18: UPLOAD_MAX_BODY_SIZE, below). Django's
# default (2.5 MiB), written down; and its limit on fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Whole public pages cached for anonymous visitors (core/pagecache.py).
PUBLIC_PAGE_CACHE = env_bool("PUBLIC_PAGE_CACHE", True)

CACHES = {
    # Shared by every process (web workers and task workers): rate limits must hold across them.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
        # The default (300 entries, then a third culled in key order) would drop rate-limit counters under load.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

# --- Accounts and sessions ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "public:my_space"
# The "données de démonstration" notice (incubateur.synthetic.demo): on in `make run`'s settings only.
DEMO_DATA_NOTICE = False
LOGOUT_REDIRECT_URL = "public:home"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
MAGIC_LINK_MAX_AGE = 15 * 60  # seconds
LOGIN_RATE_LIMIT_PER_EMAIL = (5, 15 * 60)  # requests per address from one client, window in seconds
LOGIN_RATE_LIMIT_PER_IP = (20, 15 * 60)
# How many proxies in front of the site append the client's address to X-Forwarded-For (Scalingo's router: 1).
# 0, the default: no forwarded header is trusted (X-Forwarded-For nor X-Forwarded-Proto); see core.ratelimit.client_ip.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES") or "0")
# The default e-mail domain of community members (beta.gouv.fr convention: prenom.nom@beta.gouv.fr).
MEMBER_EMAIL_DOMAIN = os.environ.get("MEMBER_EMAIL_DOMAIN", "beta.gouv.fr")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Public files published like files (#19, incubateur/core/published.py): written here, served ahead of the
# middleware stack when fresh. Empty or None turns it off (the views answer). One host, or a volume shared by the
# hosts.
PUBLISHED_ROOT = (
    Path(_published) if (_published := os.environ.get("PUBLISHED_ROOT", str(VAR_DIR / "published"))) else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Incubateur de services numériques <ne-pas-repondre@beta.gouv.fr>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)

# --- Background tasks and notifications -----------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MATTERMOST_WEBHOOK_URL = os.environ.get("MATTERMOST_WEBHOOK_URL", "")
MATTERMOST_TIMEOUT = float(os.environ.get("MATTERMOST_TIMEOUT", "10"))
MATTERMOST_DEFAULT_CHANNEL = os.environ.get("MATTERMOST_DEFAULT_CHANNEL", "incubateur-animation")
NOTIFICATION_MAX_ATTEMPTS = 8
NOTIFICATION_BACKOFF_BASE = 30  # seconds: 30 s · 2^n with jitter
NOTIFICATION_BACKOFF_CAP = 3600  # seconds
# A delivery claimed longer ago than this is taken to have died with its worker and is tried again.
NOTIFICATION_CLAIM_TIMEOUT = 5 * 60
WORKER_HOUSEKEEPING_INTERVAL = 30  # seconds
# Run by each worker's housekeeping thread at every beat (each must be idempotent and cheap when idle).
WORKER_HOUSEKEEPING_HOOKS = ["incubateur.guichet.services.housekeeping.tick"]

# Run inside the transaction of `import_betagouv`, after the registry is written: each returns report lines.
REGISTRY_IMPORT_HOOKS: list[str] = ["incubateur.programmes.history.import_fast_history"]
# Run by `export_betagouv` after the registry's files: each writes back what its import hook read (`content=` the
# folder) and returns report lines.
REGISTRY_EXPORT_HOOKS: list[str] = ["incubateur.programmes.history.export_fast_history"]

# Programmes and portfolio boards: when a committee is due, and how long a product usually stays in a phase.
PROGRAMMES_COMMITTEE_INTERVAL_MONTHS = 6  # a comité d'investissement at least every 6 months
PROGRAMMES_COMMITTEE_PROVISIONAL_MONTHS = 2  # after a provisional decision
# Time in a phase beyond which the board shows it (months).
PROGRAMMES_PHASE_NORMS_MONTHS = {"investigation": 3, "construction": 18, "acceleration": 24, "consolidation": 18}
# The pole whose members (the direction) see every portfolio's board, with the pole leads and administrators.
PROGRAMMES_DIRECTION_POLE = "direction"

# The guichet: a first answer within one working day (Europe/Paris, Monday–Friday, French public holidays off).
GUICHET_WORKDAY_START = 9  # o'clock
GUICHET_WORKDAY_END = 18
GUICHET_REMINDER_BEFORE_MINUTES = 120  # the assignee is reminded this long before the first answer is due
GUICHET_AUTOCLOSE_DAYS = 14  # a resolved request closes itself after this many days unless reopened
# Mattermost channel for new (non-confidential) requests; empty: MATTERMOST_DEFAULT_CHANNEL.
GUICHET_MATTERMOST_CHANNEL = os.environ.get("GUICHET_MATTERMOST_CHANNEL", "")
WORKER_STALE_AFTER = 3 * 60  # seconds without a heartbeat before /healthz calls the worker stale

# --- Security headers -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}


# Personal data. Each app answers for its own tables: `export_person` gathers what these hooks return about one
# person, `purge` runs the purge hooks (anonymise what the retention periods below have made unnecessary).
PERSONAL_DATA_EXPORT_HOOKS = [
    "incubateur.accounts.personal_data.export",
    "incubateur.registry.personal_data.export",
    "incubateur.guichet.personal_data.export",
    "incubateur.programmes.personal_data.export",
    "incubateur.portfolios.personal_data.export",
    "incubateur.community.personal_data.export",
]
PERSONAL_DATA_PURGE_HOOKS = [
    "incubateur.guichet.personal_data.purge",
    "incubateur.accounts.personal_data.purge",
]
# What still needs an account (never purged): each returns a queryset of user ids, given `today`.
PERSONAL_DATA_KEEP_HOOKS = [
    "incubateur.registry.personal_data.accounts_in_use",
    "incubateur.organisation.personal_data.accounts_in_use",
]
# Closed confidential guichet requests are anonymised this many months after they were closed.
RETENTION_CONFIDENTIAL_REQUESTS_MONTHS = int(os.environ.get("RETENTION_CONFIDENTIAL_REQUESTS_MONTHS", "24"))
# A read of a confidential request within this many days of the reader's address change is flagged to the requester.
CONFIDENTIAL_EMAIL_CHANGE_DAYS = int(os.environ.get("CONFIDENTIAL_EMAIL_CHANGE_DAYS", "30"))
# Accounts without a login (and without a running mission) for this many years are anonymised.
RETENTION_INACTIVE_ACCOUNTS_YEARS = int(os.environ.get("RETENTION_INACTIVE_ACCOUNTS_YEARS", "3"))

# --- Missions, joining and validation (#14; registry) ---
# A member who is not a public agent (mission status other than `admin`) sets an end at most this far ahead.
MISSION_MAX_MONTHS_AHEAD = 6
# A review undecided by the incubator's team after this many working days: a reminder, and staff may decide.
REVIEW_ESCALATION_WORKDAYS = 2
# A newcomer's first login link (the welcome e-mail) is valid this long; later links MAGIC_LINK_MAX_AGE.
WELCOME_LINK_MAX_AGE = 72 * 3600
# The onboarding checklist listed in the welcome e-mail: a function of the community app (a layer above the registry)
# and its first argument, called with the newcomer's domaine (`items_for("arrivee", domaine)`).
REGISTRY_WELCOME_CHECKLIST = ("incubateur.community.checklists.items_for", "arrivee")

# --- Reminders, checklists and monthly summaries (#14; community) ---
WORKER_HOUSEKEEPING_HOOKS += ["incubateur.community.services.housekeeping.tick"]
# The pole whose members tick the « by: animation » checklist items and follow everyone's progress.
COMMUNITY_ANIMATION_POLE = os.environ.get("COMMUNITY_ANIMATION_POLE", "animation")
# The Pôle Animation's overview lists newcomers (first mission started this many days ago at most, or to come)
# and people leaving (last mission ended this many days ago at most).
COMMUNITY_NEWCOMER_DAYS = 90
COMMUNITY_LEAVER_DAYS = 60
# A reminder step (J-30, J-15, J-2, J+1, J+30) missed while the worker was down is still sent this many days after
# its day, and only while it is the most recent step due (never two steps at once).
COMMUNITY_REMINDER_CATCHUP_DAYS = 7
# The monthly summary lists an incubator's products whose fiche has not changed for this many months.
COMMUNITY_STALE_FICHE_MONTHS = 6

# --- Sync with the beta.gouv.fr repository (#14; registry content) ---
# `manage.py sync_betagouv` fetches this repository (a shallow, sparse checkout of `content/` with the system git,
# kept in BETAGOUV_SYNC_DIR) and imports it; the worker does it once a day only when the environment names it.
BETAGOUV_REPO_URL = os.environ.get("BETAGOUV_REPO_URL") or "https://github.com/betagouv/beta.gouv.fr.git"
BETAGOUV_SYNC_DAILY = bool(os.environ.get("BETAGOUV_REPO_URL"))
BETAGOUV_SYNC_DIR = Path(os.environ.get("BETAGOUV_SYNC_DIR", VAR_DIR / "betagouv-sync"))
BETAGOUV_SYNC_TIMEOUT = int(os.environ.get("BETAGOUV_SYNC_TIMEOUT", "600"))  # seconds, per git command
WORKER_HOUSEKEEPING_HOOKS += ["incubateur.registry.content.sync.daily"]

# --- ProConnect (#15; accounts) ---
# OpenID Connect with the State's identity federation (incubateur/accounts/proconnect.py, docs/adr/0004). Off (no
# button, its routes 404) unless the issuer, the client id and the secret are all set. Endpoints and keys come from
# `<issuer>/.well-known/openid-configuration`, fetched and cached. Register with ProConnect the redirect URI
# BASE_URL + /connexion/proconnect/retour/ and the post-logout URI BASE_URL + /deconnexion/proconnect/.
PROCONNECT_ISSUER = os.environ.get("PROCONNECT_ISSUER", "").strip()
PROCONNECT_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "").strip()
PROCONNECT_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "").strip()
PROCONNECT_SCOPES = os.environ.get("PROCONNECT_SCOPES", "openid email given_name usual_name uid siret").strip()
PROCONNECT_ACR_VALUES = os.environ.get("PROCONNECT_ACR_VALUES", "eidas1").strip()  # empty: not sent
PROCONNECT_SIGN_ALGO = os.environ.get("PROCONNECT_SIGN_ALGO", "RS256").strip()  # as registered: RS256 or ES256
PROCONNECT_TIMEOUT = float(os.environ.get("PROCONNECT_TIMEOUT", "10"))  # seconds, each call to the provider
PROCONNECT_DISCOVERY_MAX_AGE = 3600  # seconds the discovery document and the JWKS are cached
PROCONNECT_STATE_MAX_AGE = 30 * 60  # seconds between the button and the return from ProConnect
if PROCONNECT_ISSUER:
    # The login button and the logout button post to our routes, which redirect to ProConnect: browsers apply the
    # page's `form-action` to those redirects. The origin: "https://host[:port]" of the issuer.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [
        *CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],
        "/".join(PROCONNECT_ISSUER.split("/")[:3]),
    ]

# --- Recrutement (#16; recruitment) ---
# Posts are announced once, when they open to the community, on Mattermost (webhook above) and a Matrix/Tchap room.
MATTERMOST_RECRUTEMENT_CHANNEL = os.environ.get("MATTERMOST_RECRUTEMENT_CHANNEL", "incubateur-recrutement")
MATRIX_HOMESERVER_URL = os.environ.get("MATRIX_HOMESERVER_URL", "")  # e.g. https://matrix.agent.dinum.tchap.gouv.fr
MATRIX_ACCESS_TOKEN = os.environ.get("MATRIX_ACCESS_TOKEN", "")  # the posting bot's access token
MATRIX_RECRUTEMENT_ROOM = os.environ.get("MATRIX_RECRUTEMENT_ROOM", "")  # a room id: !abc:agent.dinum.tchap.gouv.fr
MATRIX_TIMEOUT = float(os.environ.get("MATRIX_TIMEOUT", "10"))
WORKER_HOUSEKEEPING_HOOKS += ["incubateur.recruitment.services.tick"]

# --- Transparence (#17; transparency) ---
# Commitments measured (/engagements/): computed once a day (Paris) into snapshots, whatever the number of workers.
WORKER_HOUSEKEEPING_HOOKS += ["incubateur.transparency.commitments.daily"]
# A call opens by the clock: its public journal row is written by the first beat after its opening.
WORKER_HOUSEKEEPING_HOOKS += ["incubateur.transparency.journal.record_opened_calls"]
# Public statistics (/statistiques/): computed once a day into snapshots (transparency.statistics.daily).
WORKER_HOUSEKEEPING_HOOKS += ["incubateur.transparency.statistics.daily"]
# A public cell counting people or requests below this shows « < 5 » (transparency/suppression.py).
STATS_SUPPRESSION_THRESHOLD = int(os.environ.get("STATS_SUPPRESSION_THRESHOLD", "5"))

# --- Guichet par e-mail (#18; guichet) ---
# Mail intake (incubateur/guichet/mail/): `manage.py fetch_mail` reads the IMAP mailboxes of MAIL_INTAKE_IMAP_URL
# (one or more `imap[s]://user:password@host[:port]/MAILBOX`, separated by spaces or commas; the worker runs it every
# minute when set), `manage.py receive_mail` one message on stdin (a mail server's pipe transport). Notifications
# about a request carry `Reply-To: <local>+<signed token>@<domain>` built on MAIL_INTAKE_REPLY_ADDRESS (empty: no
# Reply-To, so no reply by e-mail). Senders are verified by the `Authentication-Results` header of the receiving
# server named MAIL_INTAKE_TRUSTED_AUTHSERV_ID (dkim=pass or spf=pass for the sender's domain); unset, the check is
# off under DEBUG (every sender counts as verified: development) and nobody is verified otherwise (all to triage).
MAIL_INTAKE_IMAP_URL = os.environ.get("MAIL_INTAKE_IMAP_URL", "").strip()
MAIL_INTAKE_IMAP_MOVE_TO = os.environ.get("MAIL_INTAKE_IMAP_MOVE_TO", "").strip()  # empty: flagged \Seen only
MAIL_INTAKE_IMAP_TIMEOUT = float(os.environ.get("MAIL_INTAKE_IMAP_TIMEOUT", "30"))
MAIL_INTAKE_INTERVAL = int(os.environ.get("MAIL_INTAKE_INTERVAL", "60"))  # seconds between two fetches by a worker
MAIL_INTAKE_REPLY_ADDRESS = os.environ.get("MAIL_INTAKE_REPLY_ADDRESS", "").strip()
MAIL_INTAKE_TRUSTED_AUTHSERV_ID = os.environ.get("MAIL_INTAKE_TRUSTED_AUTHSERV_ID", "").strip()
MAIL_INTAKE_NOTE_MARKER = os.environ.get("MAIL_INTAKE_NOTE_MARKER", "#note")
# The platform's own addresses besides DEFAULT_FROM_EMAIL, SERVER_EMAIL and the reply address: never taken as senders.
MAIL_INTAKE_OWN_ADDRESSES = [
    a.strip().lower() for a in os.environ.get("MAIL_INTAKE_OWN_ADDRESSES", "").replace(",", " ").split() if a.strip()
]
MAIL_INTAKE_RATE_LIMIT = int(os.environ.get("MAIL_INTAKE_RATE_LIMIT", "20"))  # mails per sender per window
MAIL_INTAKE_RATE_WINDOW = int(os.environ.get("MAIL_INTAKE_RATE_WINDOW", "3600"))  # seconds
MAIL_INTAKE_MAX_BYTES = int(os.environ.get("MAIL_INTAKE_MAX_BYTES", str(25 * 1024 * 1024)))  # a whole message
if MAIL_INTAKE_IMAP_URL:
    WORKER_HOUSEKEEPING_HOOKS += ["incubateur.guichet.mail.fetch.tick"]
# Attachments on requests and messages (web forms and mail; guichet/services/attachments.py). Files are stored through
# the "guichet" storage (filesystem under MEDIA_ROOT by default; S3-compatible with django-storages: README) and
# served only by the guichet:attachment view, never under MEDIA_URL.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES["guichet"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MEDIA_ROOT, "base_url": None, "file_permissions_mode": 0o640},
}
# Bytes per file; files per request or message.
GUICHET_ATTACHMENT_MAX_SIZE = int(os.environ.get("GUICHET_ATTACHMENT_MAX_SIZE", str(10 * 1024 * 1024)))
GUICHET_ATTACHMENT_MAX_COUNT = int(os.environ.get("GUICHET_ATTACHMENT_MAX_COUNT", "5"))
# Allowed types (checked from the content's magic bytes and the name's extension; HTML, SVG, executables never).
GUICHET_ATTACHMENT_TYPES = os.environ.get(
    "GUICHET_ATTACHMENT_TYPES", "pdf,png,jpeg,gif,webp,txt,csv,odt,ods,odp,docx,xlsx,pptx,eml"
).split(",")
# A multipart form posted under these paths may hold that many files beside its fields (core.middleware.
# HostileInputMiddleware; every other body, the API's included, keeps DATA_UPLOAD_MAX_MEMORY_SIZE). Files over
# FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) are streamed to a temporary file, not held in memory.
UPLOAD_PATH_PREFIXES = ["/guichet/"]
_UPLOAD_PART = GUICHET_ATTACHMENT_MAX_SIZE + 4096  # a file and its part's headers and boundary, generously
UPLOAD_MAX_BODY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE + GUICHET_ATTACHMENT_MAX_COUNT * _UPLOAD_PART
