"""Stand-ins for the weather service, shared by the project's tests; none uses the network."""

from __future__ import annotations

import httpx
from dependency_injector import providers


def weather_api(request: httpx.Request) -> httpx.Response:
    """The weather service, answering in process: Atlantis is down, everywhere else is 21 °C."""
    if request.url.path == "/forecast/atlantis":
        return httpx.Response(503)
    return httpx.Response(200, json={"temperature": 21})


def offline_weather_client() -> providers.Resource[httpx.AsyncClient]:
    """A real ``httpx.AsyncClient`` on a mock transport, as a Resource: when it overrides the
    container's client before startup, the lifespan opens and closes it in its place."""
    return providers.Resource(
        httpx.AsyncClient,
        base_url="https://weather.test",
        transport=httpx.MockTransport(weather_api),
    )


class UnreachableWeatherClient:
    """A plain object with the one method the view calls. Objects are never shut down."""

    async def get(self, url: str) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=httpx.Request("GET", url))
