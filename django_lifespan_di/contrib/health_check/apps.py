from __future__ import annotations

from django.apps import AppConfig


class LifespanHealthCheckConfig(AppConfig):
    name = "django_lifespan_di.contrib.health_check"
    # Its own label: django-health-check's app is labelled "health_check".
    label = "lifespan_health_check"
    verbose_name = "Lifespan DI: django-health-check checks"
