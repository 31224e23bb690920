from __future__ import annotations

from django.apps import AppConfig

from django_lifespan_di import register_ping


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from docs.examples.health.containers import Container
        from docs.examples.health.pings import ping_payments, ping_search

        register_ping(Container.payments, ping_payments, timeout=1.0)
        # Search down means a degraded page, not an unready pod: a warning, readyz stays 200.
        register_ping(Container.search, ping_search, timeout=1.0, critical=False)
