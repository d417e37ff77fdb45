"""The site's settings with DEBUG off (with it on, Django keeps every query in memory) and
the Django test client's host allowed."""

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES

DEBUG = False
SECRET_KEY = "benchmark-only-not-secret"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES["default"]["CONN_MAX_AGE"] = 0
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
