"""apps.py before the migration: a manager registered twice, and signal receivers."""

from __future__ import annotations

import httpx
from django.apps import AppConfig
from django_asgi_lifespan.register import register_lifespan_manager
from django_asgi_lifespan.signals import asgi_shutdown, asgi_startup

from .handlers import ASGILifespanSignalHandler, httpx_lifespan_manager, log_shutdown, log_startup


class LibraryConfig(AppConfig):
    name = "docs.examples.migrating.before.library"
    httpx_client: httpx.AsyncClient

    def ready(self) -> None:
        register_lifespan_manager(context_manager=httpx_lifespan_manager)
        register_lifespan_manager(context_manager=httpx_lifespan_manager)

        signal_handler = ASGILifespanSignalHandler(app_config=self)
        asgi_startup.connect(signal_handler.startup, weak=False)
        asgi_shutdown.connect(signal_handler.shutdown, weak=False)
        asgi_startup.connect(log_startup)
        asgi_shutdown.connect(log_shutdown)
