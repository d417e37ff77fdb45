"""The test suite: the embedded defaults unless DATABASE_URL / REDIS_URL point elsewhere."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, STATIC_ROOT, VAR_DIR, env

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MANDATE_ALLOW_DEMO_DATA = True
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
ALLOWED_HOSTS = ["*"]

# The Celery worker the tests start is another process: it must see the test database,
# so SQLite's test database is a file rather than memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # MANDATE_TEST_SQLITE lets two runs side by side use files of their own.
    DATABASES["default"]["TEST"] = {
        "NAME": env("MANDATE_TEST_SQLITE", default=str(VAR_DIR / "test.sqlite3"))
    }

# Tests open and close connections per request, as the test runner expects.
DATABASES["default"]["CONN_MAX_AGE"] = 0

CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker-test"
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL", default=env("REDIS_URL", default="") or "filesystem://"
)
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
