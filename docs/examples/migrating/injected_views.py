"""Step 4: the view gets the client as a typed parameter instead of a dict lookup."""

from __future__ import annotations

import httpx
from django.http import HttpRequest, JsonResponse

from django_lifespan_di import Provide, inject
from docs.examples.migrating.containers import Container


@inject
async def forecast_view(
    request: HttpRequest,
    city: str,
    client: httpx.AsyncClient = Provide[Container.weather_client],
) -> JsonResponse:
    response = await client.get(f"/forecast/{city}")
    return JsonResponse({"city": city, "temperature": response.json()["temperature"]})
