"""The example's URLs."""

from django.urls import path

from . import views

urlpatterns = [
    path("forecast/<slug:city>/", views.forecast),
    path("weather-api/", views.weather_api),
]
