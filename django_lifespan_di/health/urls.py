"""The probes' URLs: ``path("health/", include("django_lifespan_di.health.urls"))``.

Named in the ``lifespan_health`` namespace: ``reverse("lifespan_health:readyz")``.
"""

from __future__ import annotations

from django.urls import path

from django_lifespan_di.health import views

app_name = "lifespan_health"
urlpatterns = [
    path("livez/", views.livez, name="livez"),
    path("readyz/", views.readyz, name="readyz"),
    path("startupz/", views.startupz, name="startupz"),
]
