from __future__ import annotations

from django.urls import path

from .views import app_config_view, scope_state_view

app_name = "library"
urlpatterns = [
    path("client-from-app-config", app_config_view, name="client_from_app_config_view"),
    path("client-from-scope-state", scope_state_view, name="client_from_scope_state_view"),
]
