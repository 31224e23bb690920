"""asgi.py after Part 1: django-lifespan-di's application; websockets keep their own app."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django_lifespan_di.asgi import get_asgi_application

from .websocket import websocket_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.migrating.part1.settings")

django_application = get_asgi_application()

# Plain mappings, as the application (like Django's own handler) is typed.
Message = MutableMapping[str, Any]


async def application(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    else:  # "lifespan" and "http"
        await django_application(scope, receive, send)
