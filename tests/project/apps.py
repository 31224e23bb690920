from __future__ import annotations

from django.apps import AppConfig

from django_lifespan_di import register_ping


class ProjectConfig(AppConfig):
    name = "tests.project"

    def ready(self) -> None:
        from tests.project.health_containers import (
            SIDECAR_PING_TIMEOUT,
            UPSTREAM_PING_TIMEOUT,
            HealthContainer,
            ping_sidecar,
            ping_upstream,
        )

        # Pings run only in a lifespan whose containers include HealthContainer.
        register_ping(HealthContainer.upstream, ping_upstream, timeout=UPSTREAM_PING_TIMEOUT)
        register_ping(HealthContainer.sidecar, ping_sidecar, timeout=SIDECAR_PING_TIMEOUT)
