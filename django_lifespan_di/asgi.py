"""The ASGI application: Django for ``http``, this package for ``lifespan`` (and, under daphne,
which sends none, the lifespan on daphne's reactor)."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.core.asgi import get_asgi_application as get_django_asgi_application
from django.core.handlers.asgi import ASGIHandler

from django_lifespan_di.conf import conf, require_installed
from django_lifespan_di.exceptions import LifespanError
from django_lifespan_di.reactor import reactor_lifespan
from django_lifespan_di.registry import UNAVAILABLE
from django_lifespan_di.runtime import lifespan

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class LifespanApplication:
    """An ASGI 3 application that runs the lifespan and hands everything else to Django.

    ``http`` (and any other scope type, e.g. under Channels' ``ProtocolTypeRouter``) goes to
    ``django_app`` unchanged. Under daphne, which never sends the ASGI lifespan, the lifespan
    runs on daphne's reactor instead (``reactor.py``): requests wait for its startup, and are
    answered 503 if it failed.
    """

    def __init__(self, django_app: ASGIHandler) -> None:
        self.django_app = django_app
        #: Whether the server sent the ASGI lifespan to this application.
        self.lifespan_protocol = False
        #: The lifespan on Twisted's reactor, if that is what serves this application.
        self.reactor_lifespan = reactor_lifespan()
        #: Set once requests need no more look at how the lifespan runs: the per-request path.
        self._lifespan_known = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self.lifespan_protocol = True
            await self.lifespan(scope, receive, send)
        elif self._lifespan_known or await self._learn_lifespan(scope, receive, send):
            await self.django_app(scope, receive, send)  # type: ignore[arg-type]

    async def _learn_lifespan(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """For the first requests: wait for a lifespan that daphne's reactor runs.

        Whether to serve the request (False: it was refused, the lifespan failed to start).
        Decided by this package's own marker (the ASGI lifespan reached this application), not
        by the scope: ``uvicorn --lifespan off`` gives requests a ``state`` with no lifespan.
        """
        if self.lifespan_protocol:
            self._lifespan_known = True
            return True
        found = self.reactor_lifespan or reactor_lifespan()
        if found is None or not found.runs_loop(asyncio.get_running_loop()):
            self._lifespan_known = True  # no lifespan: the first use of a resource says why
            return True
        self.reactor_lifespan = found
        if await found.wait_started():
            self._lifespan_known = True
            return True
        await answer_unavailable(scope, receive, send)
        return False

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI lifespan protocol around [``lifespan()``][django_lifespan_di.lifespan].

        A failure is reported with ``lifespan.startup.failed`` / ``lifespan.shutdown.failed``
        (never by merely raising: servers then go on serving without the resources), after
        everything started has been shut down. A message out of order (``lifespan.shutdown``
        first, a second ``lifespan.startup``) is a failure too, saying what arrived.
        """
        started = False
        try:
            await expect(receive, "lifespan.startup")
            async with lifespan() as state:
                if scope.get("state") is not None:
                    scope["state"].update(state)  # the server copies this into every request
                await send({"type": "lifespan.startup.complete"})
                started = True
                await expect(receive, "lifespan.shutdown")
        except asyncio.CancelledError:
            # The server cancelled the lifespan (its own time limit, a quick shutdown): it
            # waits for no answer any more, and hypercorn raises on one.
            raise
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})


async def expect(receive: Receive, message_type: str) -> None:
    """Receive the next lifespan message; ``LifespanError`` unless it is ``message_type``."""
    message = await receive()
    if message.get("type") != message_type:
        raise LifespanError(
            f"The server sent {message.get('type')!r} where the ASGI lifespan protocol has "
            f"{message_type!r}; nothing was left open."
        )


async def answer_unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request that cannot be served because the lifespan failed to start.

    Only daphne's reactor gets here, and daphne has two scope types: ``http`` and ``websocket``.
    """
    if scope["type"] == "http":
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": UNAVAILABLE})
    else:
        await receive()  # websocket.connect; a close before accepting refuses it
        await send({"type": "websocket.close", "code": 1011})


def get_asgi_application() -> LifespanApplication:
    """Set up Django and return the lifespan-aware ASGI application for ``asgi.py``.

    Use it instead of ``django.core.asgi.get_asgi_application``. Bad settings are reported
    here, when the server imports ``asgi.py``, not at the first request.
    """
    django_app = get_django_asgi_application()
    require_installed()
    conf.configured_containers()
    return LifespanApplication(django_app)
