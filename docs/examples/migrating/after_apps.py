"""After: apps.py with django-lifespan-di. Only the import changed."""

from __future__ import annotations

from django.apps import AppConfig

from django_lifespan_di import register_lifespan_manager
from docs.examples.migrating.context import httpx_lifespan_manager


class WeatherConfig(AppConfig):
    name = "weather"

    def ready(self) -> None:
        register_lifespan_manager(context_manager=httpx_lifespan_manager)
