"""The example's URLs: the project's urls.py, with the two views routed."""

# --8<-- [start:quickstart]
from django.urls import path

from . import views

urlpatterns = [
    path("forecast/<slug:city>/", views.forecast),
    path("weather-api/", views.weather_api),
    # ... and the project's other URLs, e.g. path("admin/", admin.site.urls)
]
# --8<-- [end:quickstart]
