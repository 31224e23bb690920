from __future__ import annotations

from django.urls import path

from tests.project import fault_views, views

urlpatterns = [
    path("state/", views.state_view),
    path("sync-state/", views.sync_state_view),
    path("slow/", fault_views.slow_view),
    path("first-use/", fault_views.first_use_view),
]
