"""Channels consumers that use the lifespan's objects: injected into their methods, or read from
``self.scope["state"]`` (which ASGI servers, and ``with_lifespan_state`` in tests, fill)."""

from __future__ import annotations

import json
import os
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from django_lifespan_di import Provide, inject
from tests.project.containers import Container, Tracked


def describe(obj: Tracked) -> dict[str, Any]:
    return {"name": obj.name, "serial": obj.serial, "closed": obj.closed}


class InjectedConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # Channels has no hints
    """The client is injected when the socket connects, the cache into each message."""

    @inject
    async def connect(self, client: Tracked = Provide[Container.http_client]) -> None:
        self.client = client
        await self.accept()

    @inject
    async def receive(
        self,
        text_data: str | None = None,
        bytes_data: bytes | None = None,
        cache: Tracked = Provide[Container.cache],
    ) -> None:
        reply = {
            "echo": text_data,
            "pid": os.getpid(),
            "client": describe(self.client),
            "cache": describe(cache),
        }
        await self.send(text_data=json.dumps(reply))


class StateConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    """Reads the lifespan state from the scope, as ASGI servers hand it to every connection."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        state = self.scope["state"]
        reply = {
            "keys": sorted(state),
            "pid": os.getpid(),
            "client": describe(state["http_client"]),
        }
        await self.send(text_data=json.dumps(reply))
