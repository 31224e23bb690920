from __future__ import annotations

from django.urls import include, path
from health_check.views import HealthCheckView

from django_lifespan_di.contrib.health_check.checks import lifespan_checks

urlpatterns = [
    # livez/, readyz/ and startupz/: for the orchestrator (see "Only for the orchestrator").
    path("health/", include("django_lifespan_di.health.urls")),
    # django-health-check's page, formats and command, listing the lifespan's resources.
    path(
        "health-check/",
        HealthCheckView.as_view(checks=[*lifespan_checks(), "health_check.checks.Cache"]),
        name="health_check",
    ),
]
