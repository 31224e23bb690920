"""The project's container: one HTTP client to the weather service, shared by every request."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers


class Container(containers.DeclarativeContainer):
    # Resource() enters the client as an async context manager: the lifespan opens it at
    # startup and closes its connection pool at shutdown.
    weather_client = providers.Resource(
        httpx.AsyncClient, base_url="https://weather.example.com", timeout=5.0
    )
