from __future__ import annotations

from django.apps import AppConfig


class LifespanDIConfig(AppConfig):
    name = "django_lifespan_di"
    verbose_name = "Lifespan DI"

    def ready(self) -> None:
        from django_lifespan_di import checks  # noqa: F401  (registers the system checks)
