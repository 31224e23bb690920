"""Settings of the benchmark project: each variant gets only what it needs."""

from __future__ import annotations

from bench.project.variant import VARIANT

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "bench.project.urls"
INSTALLED_APPS = ["django_lifespan_di"] if VARIANT == "lifespan_di" else []
MIDDLEWARE = {
    "lifespan_di": ["django_lifespan_di.middleware.LifespanStateMiddleware"],
    "asgi_lifespan": ["django_asgi_lifespan.middleware.LifespanStateMiddleware"],
}.get(VARIANT, [])
DATABASES: dict[str, dict[str, str]] = {}
LIFESPAN_DI = {"CONTAINERS": ["bench.project.containers.Container"]}
