"""The project's settings after the move: the app, the container instance, a log of its
resources."""

from __future__ import annotations

import os

SECRET_KEY = "docs-example-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "docs.examples.from_di.after.urls"
# --8<-- [start:apps]
INSTALLED_APPS = [
    "django_lifespan_di",
    "docs.examples.from_di.after.web",
]
MIDDLEWARE = ["django_lifespan_di.middleware.LifespanStateMiddleware"]
LIFESPAN_DI = {"CONTAINERS": ["docs.examples.from_di.after.containers.container"]}
# --8<-- [end:apps]
# --8<-- [start:logging]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_lifespan_di": {"handlers": ["console"], "level": "INFO"}},
}
# --8<-- [end:logging]
# What the container is configured from (containers.py loads it into the instance).
SEARCH_API = {
    "api_url": os.environ.get("SEARCH_API_URL", "https://api.github.com"),
    "timeout": 5.0,
    "limit": 3,
    "default_query": "django",
}
