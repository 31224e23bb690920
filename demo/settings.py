"""Settings of the demo project. Everything stays on 127.0.0.1; nothing here is secret."""

from __future__ import annotations

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
# Django sets the process time zone from TIME_ZONE (default America/Chicago): UTC keeps the log
# times and the status page (UTC) in agreement.
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo.urls"
INSTALLED_APPS = ["django_lifespan_di", "demo"]
# Puts the lifespan state on each request as request.state.
MIDDLEWARE = ["django_lifespan_di.middleware.LifespanStateMiddleware"]
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
