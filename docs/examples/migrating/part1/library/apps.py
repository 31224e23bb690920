"""apps.py after Part 1: the same registrations, and the receivers as a lifespan manager."""

from __future__ import annotations

import httpx
from django.apps import AppConfig

from django_lifespan_di import register_lifespan_manager

from .handlers import app_config_lifespan, httpx_lifespan_manager


class LibraryConfig(AppConfig):
    name = "docs.examples.migrating.part1.library"
    httpx_client: httpx.AsyncClient

    def ready(self) -> None:
        register_lifespan_manager(context_manager=httpx_lifespan_manager)
        register_lifespan_manager(context_manager=httpx_lifespan_manager)  # does nothing here

        register_lifespan_manager(context_manager=app_config_lifespan(self))
