"""apps.py after Part 2: httpx_lifespan_manager is a provider now, and no longer registered."""

from __future__ import annotations

import httpx
from django.apps import AppConfig

from django_lifespan_di import register_lifespan_manager

from .handlers import app_config_lifespan


class LibraryConfig(AppConfig):
    name = "docs.examples.migrating.part2.library"
    httpx_client: httpx.AsyncClient

    def ready(self) -> None:
        register_lifespan_manager(context_manager=app_config_lifespan(self))
