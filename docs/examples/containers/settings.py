"""The settings the weather app needs (an excerpt of a project's settings.py)."""

import os

INSTALLED_APPS = [
    # ...
    "django_lifespan_di",
    "docs.examples.containers.apps.WeatherConfig",
]
LIFESPAN_DI = {
    "CONTAINERS": ["docs.examples.containers.containers.Container"],
    "STARTUP_TIMEOUT": 10,  # seconds for every resource to start; the default is 30
    "SHUTDOWN_TIMEOUT": 10,  # seconds for every resource to stop; the default is 30
}
WEATHER = {
    "base_url": "https://api.weather.example",
    "api_key": os.environ.get("WEATHER_API_KEY", "dev-key"),
    "timeout": 5,
}
