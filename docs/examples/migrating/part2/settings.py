"""Settings of the project after Part 2: the client is a provider of a container."""

from __future__ import annotations

SECRET_KEY = "docs-example-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "docs.examples.migrating.part2.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_lifespan_di",
    "docs.examples.migrating.part2.library",
]
MIDDLEWARE = [
    "django_lifespan_di.middleware.LifespanStateMiddleware",
]
# --8<-- [start:containers]
LIFESPAN_DI = {"CONTAINERS": ["docs.examples.migrating.part2.library.containers.Container"]}
# --8<-- [end:containers]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
