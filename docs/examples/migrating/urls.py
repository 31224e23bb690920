from __future__ import annotations

from django.urls import path

from docs.examples.migrating import injected_views, views

urlpatterns = [
    path("state/forecast/<str:city>/", views.forecast_view),
    path("injected/forecast/<str:city>/", injected_views.forecast_view),
]
