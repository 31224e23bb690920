from __future__ import annotations

from django.apps import AppConfig

from demo.upstream import serve_upstream
from django_lifespan_di import register_lifespan_manager, register_ping


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "django-lifespan-di demo"

    def ready(self) -> None:
        # The seed's way (django-asgi-lifespan's): a plain async context manager.
        register_lifespan_manager(context_manager=serve_upstream)
        from demo.containers import Container
        from demo.pings import ping_store, ping_upstream

        # The shared client and the store, pinged where the views use them; the readiness view
        # (/ready/) answers from these pings (LIFESPAN_DI["PING_MAX_AGE"]).
        register_ping(Container.http_client, ping_upstream)
        register_ping(Container.store, ping_store)
