from __future__ import annotations

from django.urls import path

from docs.examples.testing.views import forecast_view

urlpatterns = [path("forecast/<str:city>/", forecast_view)]
