"""Settings of the project after Part 1: served by django-lifespan-di."""

from __future__ import annotations

SECRET_KEY = "docs-example-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "docs.examples.migrating.part1.urls"
# --8<-- [start:apps]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_lifespan_di",
    "docs.examples.migrating.part1.library",
]
# --8<-- [end:apps]
# --8<-- [start:middleware]
MIDDLEWARE = [
    "django_lifespan_di.middleware.LifespanStateMiddleware",
]
# --8<-- [end:middleware]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
