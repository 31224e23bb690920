"""Load the container's configuration from Django settings once Django is set up."""

# mypy checks settings against this repository's test settings, which have no WEATHER.
# mypy: disable-error-code="misc"

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings

from docs.examples.containers.containers import Container


# --8<-- [start:ready]
class WeatherConfig(AppConfig):
    name = "docs.examples.containers"
    label = "weather"

    def ready(self) -> None:
        # On the class, not on an instance of it: the lifespan makes its own instance of
        # Container at startup, and that instance copies the configuration the class holds.
        Container.config.weather.from_dict(settings.WEATHER)


# --8<-- [end:ready]
