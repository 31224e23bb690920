"""Two ways for a view to reach the shared client: ``@inject``, or ``request.state``."""

# --8<-- [start:quickstart]
import httpx
from django.http import HttpRequest, JsonResponse

from django_lifespan_di import LifespanHttpRequest, Provide, inject

from .containers import Container


@inject
async def forecast(
    request: HttpRequest, city: str, client: httpx.AsyncClient = Provide[Container.http_client]
) -> JsonResponse:
    response = await client.get("/forecast", params={"city": city})
    response.raise_for_status()
    return JsonResponse(response.json())


async def weather_api(request: LifespanHttpRequest) -> JsonResponse:
    # Without DI: LifespanStateMiddleware puts each Resource on request.state by name.
    client: httpx.AsyncClient = request.state["http_client"]
    return JsonResponse({"weather_api": str(client.base_url)})


# --8<-- [end:quickstart]
