"""Step 3: the client as a provider. The lifespan opens it and closes it, as the manager did."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers


class Container(containers.DeclarativeContainer):
    # Stored in the lifespan state under its attribute name: request.state["weather_client"]
    # keeps working in the views that are not converted yet.
    weather_client = providers.Resource(httpx.AsyncClient, base_url="https://weather.example.com")
