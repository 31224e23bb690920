"""Settings of the test project (tests/project), used by pytest and the e2e servers."""

from __future__ import annotations

import importlib.util
import json
import os

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "tests.project.urls"
# Django's LiveServerThread (live_server) serves STATIC_URL; MEDIA_URL stays empty on purpose.
STATIC_URL = "/static/"
# The runserver tests serve other applications and app orders through these variables.
WSGI_APPLICATION = os.environ.get(
    "LIFESPAN_DI_TEST_WSGI_APPLICATION", "tests.project.wsgi.application"
)
ASGI_APPLICATION = "tests.project.asgi.application"
_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_lifespan_di",
    "health_check",
    "django_lifespan_di.contrib.health_check",
    "tests.project",
]
#: Apps listed first, in this order (e.g. "django.contrib.staticfiles", whose runserver then
#: wins, or "django_lifespan_di,daphne"); the others follow.
_FIRST = [app for app in os.environ.get("LIFESPAN_DI_TEST_APPS_FIRST", "").split(",") if app]
INSTALLED_APPS = [*_FIRST, *(app for app in _APPS if app not in _FIRST)]
MIDDLEWARE = ["django_lifespan_di.middleware.LifespanStateMiddleware"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # A file for the processes of one e2e test (django-tasks-db's worker and the enqueuing).
        "NAME": os.environ.get("LIFESPAN_DI_TEST_DATABASE", ":memory:"),
    }
}
# Celery (tests/project/celery_app.py, docs/examples/workers/celery.py) on the tests'
# redis-server (tests/support/redis.py).
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = os.environ.get(
    "LIFESPAN_DI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = False  # a broker that is not there fails at once
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # tasks spread over a pool's processes and threads
if os.environ.get("LIFESPAN_DI_TEST_DB_REUSE_MAX"):  # Celery's Django fixup closes pools less
    CELERY_DB_REUSE_MAX = int(os.environ["LIFESPAN_DI_TEST_DB_REUSE_MAX"])
# Django Tasks (tests/project/tasks.py): django.tasks from Django 6, the django_tasks backport
# before. The immediate backend runs a task where it is enqueued; LIFESPAN_DI_TEST_TASKS=database
# queues it for django-tasks-db's db_worker.
TASKS_PACKAGE = "django.tasks" if importlib.util.find_spec("django.tasks") else "django_tasks"
if TASKS_PACKAGE == "django_tasks":
    INSTALLED_APPS.append("django_tasks")
if os.environ.get("LIFESPAN_DI_TEST_TASKS") == "database":
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    TASKS = {"default": {"BACKEND": f"{TASKS_PACKAGE}.backends.immediate.ImmediateBackend"}}
LIFESPAN_DI = {
    "CONTAINERS": os.environ.get(
        "LIFESPAN_DI_TEST_CONTAINERS", "tests.project.containers.Container"
    ).split(","),
    "STARTUP_TIMEOUT": float(os.environ.get("LIFESPAN_DI_TEST_STARTUP_TIMEOUT", "10")),
    "SHUTDOWN_TIMEOUT": float(os.environ.get("LIFESPAN_DI_TEST_SHUTDOWN_TIMEOUT", "10")),
    "PING_MAX_AGE": float(os.environ.get("LIFESPAN_DI_TEST_PING_MAX_AGE", "5")),
}
# The database pool tests (tests/support/postgres.py): a PostgreSQL alias "pg" owned by the
# lifespan, each process's connections named after its pid (libpq reads PGAPPNAME at each
# connect; a forked child renames its own).
if os.environ.get("LIFESPAN_DI_TEST_POSTGRES_PORT"):
    DATABASES["pg"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": os.environ.get("LIFESPAN_DI_TEST_POSTGRES_PASSWORD", "pg-secret-do-not-print"),
        "HOST": "127.0.0.1",
        "PORT": os.environ["LIFESPAN_DI_TEST_POSTGRES_PORT"],
        "OPTIONS": {"pool": json.loads(os.environ.get("LIFESPAN_DI_TEST_POOL", "true"))},  # type: ignore[dict-item]
    }
    LIFESPAN_DI["DATABASES"] = ["pg"]

    def _name_connections() -> None:
        os.environ["PGAPPNAME"] = f"lifespan-di-test-{os.getpid()}"

    _name_connections()
    os.register_at_fork(after_in_child=_name_connections)
if os.environ.get("LIFESPAN_DI_TEST_DEFERRED"):
    LIFESPAN_DI["DEFERRED"] = os.environ["LIFESPAN_DI_TEST_DEFERRED"].split(",")
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

# runserver's autoreload test touches a module of its own (on its PYTHONPATH), imported here so
# that the autoreloader watches it.
if os.environ.get("LIFESPAN_DI_TEST_WATCHED_MODULE"):
    importlib.import_module(os.environ["LIFESPAN_DI_TEST_WATCHED_MODULE"])
