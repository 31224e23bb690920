from __future__ import annotations

from django.urls import path

from tests.project import views

urlpatterns = [
    path("state/", views.state_view),
    path("sync-state/", views.sync_state_view),
]
