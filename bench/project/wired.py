"""(d)'s lifespan: what a user of plain dependency-injector writes around Django's ASGI app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.core.handlers.asgi import ASGIHandler

from bench.project import views_di_wired
from bench.project.containers import Container

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class WiredApplication:
    """Starts the container's resources on ``lifespan.startup`` (in the serving loop), stops them
    on ``lifespan.shutdown``, and hands ``http`` to Django. Wires the views module once."""

    def __init__(self, django_app: ASGIHandler) -> None:
        self.django_app = django_app
        self.container = Container()
        self.container.wire(modules=[views_di_wired])

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        else:
            await self.django_app(scope, receive, send)  # type: ignore[arg-type]

    async def lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        started = self.container.init_resources()
        if started is not None:
            await started
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        stopped = self.container.shutdown_resources()
        if stopped is not None:
            await stopped
        await send({"type": "lifespan.shutdown.complete"})
