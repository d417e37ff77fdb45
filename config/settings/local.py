"""Local development: the embedded defaults, DEBUG on, e-mail printed to the console."""

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, STATIC_ROOT, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
MANDATE_ALLOW_DEMO_DATA = env.bool("MANDATE_ALLOW_DEMO_DATA", default=True)
# runserver serves each request in a thread of its own: keep no connection open after it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
# A refused or missing page is the answer, not an incident: only server errors (with their
# traceback) are logged from requests; runserver still prints every request's line.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
