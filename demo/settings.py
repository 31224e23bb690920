"""Settings of the demo project. Everything stays on 127.0.0.1; nothing here is secret."""

from __future__ import annotations

from debug_toolbar.settings import PANELS_DEFAULTS

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
# Django sets the process time zone from TIME_ZONE (default America/Chicago): UTC keeps the log
# times and the status page (UTC) in agreement.
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo.urls"
# --8<-- [start:toolbar]
INSTALLED_APPS = ["django.contrib.staticfiles", "debug_toolbar", "django_lifespan_di", "demo"]
MIDDLEWARE = [
    # django-debug-toolbar on every HTML page for 127.0.0.1, with the lifespan's panel.
    "debug_toolbar.middleware.DebugToolbarMiddleware",
    # Puts the lifespan state on each request as request.state.
    "django_lifespan_di.middleware.LifespanStateMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
# The toolbar's scripts and styles; urls.py serves them (DEBUG only), as runserver would.
STATIC_URL = "/static/"
INTERNAL_IPS = ["127.0.0.1"]
DEBUG_TOOLBAR_PANELS = [
    *PANELS_DEFAULTS,
    "django_lifespan_di.debug_toolbar.LifespanPanel",
]
# --8<-- [end:toolbar]
DATABASES: dict[str, dict[str, str]] = {}
LIFESPAN_DI = {
    "CONTAINERS": ["demo.containers.Container"],
    "STARTUP_TIMEOUT": 10,
    "SHUTDOWN_TIMEOUT": 10,
}
# Every resource's start and stop is logged on "django_lifespan_di" (INFO).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "django_lifespan_di": {"handlers": ["console"], "level": "INFO"},
        "demo": {"handlers": ["console"], "level": "INFO"},
    },
}
