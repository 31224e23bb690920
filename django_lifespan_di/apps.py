from __future__ import annotations

from django.apps import AppConfig


class LifespanDIConfig(AppConfig):
    name = "django_lifespan_di"
    verbose_name = "Lifespan DI"

    def ready(self) -> None:
        from django_lifespan_di import checks  # noqa: F401  (registers the system checks)
        from django_lifespan_di.middleware import explain_missing_state

        # Forgetting LifespanStateMiddleware then says what to add, not just that the request
        # has no attribute 'state' (see StateNotSet).
        explain_missing_state()
