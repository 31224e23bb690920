"""A plain ASGI websocket application, routed to by asgi.py; no Django and no lifespan in it.

It echoes each text message with the keys of the ``state`` the server copied into the scope.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any


async def websocket_application(
    scope: Mapping[str, Any],
    receive: Callable[[], Awaitable[Any]],
    send: Callable[[Any], Awaitable[None]],
) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        reply = {"echo": message.get("text"), "state": sorted(scope.get("state", {}))}
        await send({"type": "websocket.send", "text": json.dumps(reply)})
