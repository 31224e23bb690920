from __future__ import annotations

from django.apps import AppConfig


class LifespanDIConfig(AppConfig):
    name = "django_lifespan_di"
    verbose_name = "Lifespan DI"

    def ready(self) -> None:
        # Each module registers its system checks when imported.
        from django_lifespan_di.checks import databases, deployment, injection, settings  # noqa: F401
        from django_lifespan_di.middleware import explain_missing_state

        # Forgetting LifespanStateMiddleware then says what to add, not just that the request
        # has no attribute 'state' (see RequestState).
        explain_missing_state()
        # The startup timeline and the OpenTelemetry spans hang on the lifespan's events.
        from django_lifespan_di import events, telemetry, timeline

        for observer in (timeline.observe, telemetry.observe):
            if observer not in events.OBSERVERS:
                events.OBSERVERS.append(observer)
