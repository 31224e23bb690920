"""Settings of the project before the migration: served by django-asgi-lifespan."""

from __future__ import annotations

SECRET_KEY = "docs-example-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "docs.examples.migrating.before.urls"
# --8<-- [start:apps]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "docs.examples.migrating.before.library",
]
# --8<-- [end:apps]
# --8<-- [start:middleware]
MIDDLEWARE = [
    "django_asgi_lifespan.middleware.LifespanStateMiddleware",
]
# --8<-- [end:middleware]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
