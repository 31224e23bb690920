"""The view under test: it asks the shared weather client for a city's forecast."""

from __future__ import annotations

import httpx
from django.http import HttpRequest, JsonResponse

from django_lifespan_di import Provide, inject
from docs.examples.testing.containers import Container


@inject
async def forecast_view(
    request: HttpRequest,
    city: str,
    client: httpx.AsyncClient = Provide[Container.weather_client],
) -> JsonResponse:
    try:
        response = await client.get(f"/forecast/{city}")
        response.raise_for_status()
    except httpx.HTTPError:
        return JsonResponse({"error": "the weather service is unavailable"}, status=502)
    return JsonResponse({"city": city, "temperature": response.json()["temperature"]})
