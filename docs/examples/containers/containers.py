"""The weather app's container: a shared HTTP client and an API session opened with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from dependency_injector import containers, providers


@dataclass(frozen=True)
class WeatherSession:
    """An authenticated session with the weather API, shared by every request."""

    client: httpx.AsyncClient
    token: str

    async def forecast(self, city: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/forecast/{city}", headers={"authorization": f"Bearer {self.token}"}
        )
        response.raise_for_status()
        forecast: dict[str, Any] = response.json()
        return forecast


# --8<-- [start:container]
async def open_session(client: httpx.AsyncClient, api_key: str) -> AsyncIterator[WeatherSession]:
    response = await client.post("/sessions", json={"api_key": api_key})
    response.raise_for_status()
    session = WeatherSession(client, response.json()["token"])
    try:
        yield session  # startup ends here; the rest runs at shutdown
    finally:
        # The client is still open: what depends on it is stopped before it.
        await client.delete(f"/sessions/{session.token}")


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(strict=True)

    # One client, one connection pool, for the whole process. The class is an async context
    # manager: the lifespan enters it at startup and exits it (closing the pool) at shutdown.
    http_client = providers.Resource(
        httpx.AsyncClient,
        base_url=config.weather.base_url,
        timeout=config.weather.timeout.as_float(),
    )
    # Depends on http_client, so it starts after it and stops before it.
    session = providers.Resource(open_session, client=http_client, api_key=config.weather.api_key)


# --8<-- [end:container]
