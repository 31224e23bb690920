from __future__ import annotations

from django.apps import AppConfig

from demo.upstream import serve_upstream
from django_lifespan_di import register_lifespan_manager


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "django-lifespan-di demo"

    def ready(self) -> None:
        # The seed's way (django-asgi-lifespan's): a plain async context manager.
        register_lifespan_manager(context_manager=serve_upstream)
