"""A view that reads request.state: the same code before and after the migration."""

from __future__ import annotations

import httpx
from django.http import HttpRequest, JsonResponse


async def forecast_view(request: HttpRequest, city: str) -> JsonResponse:
    client: httpx.AsyncClient = request.state["weather_client"]  # type: ignore[attr-defined]
    response = await client.get(f"/forecast/{city}")
    return JsonResponse({"city": city, "temperature": response.json()["temperature"]})
