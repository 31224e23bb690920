"""Settings of the test project (tests/project), used by pytest and the e2e servers."""

from __future__ import annotations

import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "tests.project.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_lifespan_di",
    "tests.project",
]
MIDDLEWARE = ["django_lifespan_di.middleware.LifespanStateMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
LIFESPAN_DI = {
    "CONTAINERS": os.environ.get(
        "LIFESPAN_DI_TEST_CONTAINERS", "tests.project.containers.Container"
    ).split(","),
    "STARTUP_TIMEOUT": float(os.environ.get("LIFESPAN_DI_TEST_STARTUP_TIMEOUT", "10")),
    "SHUTDOWN_TIMEOUT": float(os.environ.get("LIFESPAN_DI_TEST_SHUTDOWN_TIMEOUT", "10")),
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_lifespan_di": {"handlers": ["console"], "level": "INFO"}},
}
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
