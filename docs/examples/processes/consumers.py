"""Channels consumers that use the lifespan's weather client (the testing guide's container)."""

from __future__ import annotations

import httpx
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from django_lifespan_di import Provide, inject
from docs.examples.testing.containers import Container


# --8<-- [start:injected]
class ForecastConsumer(AsyncJsonWebsocketConsumer):
    @inject
    async def receive_json(
        self,
        content: dict[str, str],
        client: httpx.AsyncClient = Provide[Container.weather_client],
    ) -> None:
        response = await client.get(f"/forecast/{content['city']}")
        await self.send_json({"city": content["city"], **response.json()})


# --8<-- [end:injected]


# --8<-- [start:state]
class StateForecastConsumer(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content: dict[str, str]) -> None:
        # The ASGI server copies the lifespan state into every connection's scope.
        client: httpx.AsyncClient = self.scope["state"]["weather_client"]
        response = await client.get(f"/forecast/{content['city']}")
        await self.send_json({"city": content["city"], **response.json()})


# --8<-- [end:state]
