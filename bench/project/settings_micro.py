"""Settings of the decorator benchmark (bench/micro.py): the ``lifespan_di`` variant's, plus
wireup's Django app, so wireup's ``@inject`` is timed as its users run it."""

from __future__ import annotations

from wireup.integration.django import WireupSettings

from bench.project.settings import (
    ALLOWED_HOSTS,
    DATABASES,
    DEBUG,
    INSTALLED_APPS,
    LIFESPAN_DI,
    MIDDLEWARE,
    ROOT_URLCONF,
    SECRET_KEY,
    USE_TZ,
)

__all__ = [
    "ALLOWED_HOSTS",
    "DATABASES",
    "DEBUG",
    "INSTALLED_APPS",
    "LIFESPAN_DI",
    "MIDDLEWARE",
    "ROOT_URLCONF",
    "SECRET_KEY",
    "USE_TZ",
    "WIREUP",
]

INSTALLED_APPS = [*INSTALLED_APPS, "wireup.integration.django"]
WIREUP = WireupSettings(injectables=["bench.project.views_wireup"], auto_inject_views=False)
