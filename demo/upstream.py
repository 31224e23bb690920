"""The demo's "upstream" service: a tiny ASGI app served on 127.0.0.1 inside the demo process.

It stands in for the remote API a real project calls, so the demo needs no internet. It runs
as a lifespan manager registered the django-asgi-lifespan way (``register_lifespan_manager`` in
:mod:`demo.apps`). Managers start after the containers' resources, so the shared HTTP client
already exists when the upstream starts; that is fine because the client only connects on its
first request, and no request is served before the whole lifespan has started.

The listening socket is bound once per process (to ``DEMO_UPSTREAM_PORT``, or a free port),
before the container reads :func:`url`: the client's ``base_url`` is known up front and no other
process can take the port between the choice and the bind.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn

logger = logging.getLogger("demo")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

QUOTES = (
    "Simple is better than complex.",
    "Errors should never pass silently.",
    "Now is better than never.",
    "In the face of ambiguity, refuse the temptation to guess.",
)
HOST = "127.0.0.1"

_socket: socket.socket | None = None


def listening_socket() -> socket.socket:
    """The upstream's socket, bound on first use and kept for the life of the process."""
    global _socket
    if _socket is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = int(os.environ.get("DEMO_UPSTREAM_PORT", "0"))
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            sock.close()
            raise OSError(
                f"The demo upstream cannot listen on {HOST}:{port} ({exc}). Set "
                f"DEMO_UPSTREAM_PORT to a free port, or unset it to pick one."
            ) from exc
        _socket = sock
    return _socket


def url() -> str:
    """The upstream's base URL, e.g. ``http://127.0.0.1:40123``."""
    port = listening_socket().getsockname()[1]
    return f"http://{HOST}:{port}"


class Upstream:
    """The ASGI app: ``GET /quote`` returns a quote and how many requests and TCP connections
    it has seen, which shows the shared client reusing its connections."""

    def __init__(self) -> None:
        self.requests = 0
        self.connections: set[tuple[str, int]] = set()
        self._quotes = itertools.cycle(QUOTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] != "/quote":
            await self._respond(send, 404, {"error": f"no route {scope['path']}"})
            return
        self.requests += 1
        client = scope.get("client")
        if client:
            self.connections.add((client[0], client[1]))
        body = {
            "quote": next(self._quotes),
            "requests": self.requests,
            "connections": len(self.connections),
        }
        await self._respond(send, 200, body)

    async def _respond(self, send: Send, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the signals alone: they belong to the server running Django,
    whose shutdown stops this one through the lifespan."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


_in_upstream: contextvars.ContextVar[bool] = contextvars.ContextVar("in_upstream", default=False)


class _OnlyTheMainServer(logging.Filter):
    """Drops the embedded server's "Started server process"/"Shutting down" lines, which would
    read as if the server running Django said them twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _in_upstream.get()


_QUIET = _OnlyTheMainServer()


@asynccontextmanager
async def serve_upstream() -> AsyncIterator[dict[str, str]]:
    """Serve :class:`Upstream` for the length of the lifespan; put its URL into the state."""
    # No log_config/log_level: uvicorn would reconfigure its loggers process-wide, which would
    # also silence the server that runs Django.
    config = uvicorn.Config(
        Upstream(), lifespan="off", log_config=None, log_level=None, access_log=False
    )
    server = _EmbeddedServer(config)
    # A duplicate, because uvicorn closes the sockets it served on; the original stays bound.
    logging.getLogger("uvicorn.error").addFilter(_QUIET)  # a no-op when already added
    token = _in_upstream.set(True)
    try:
        # The task copies the context now, so the flag marks only the upstream's own logging.
        serving = asyncio.ensure_future(server.serve(sockets=[listening_socket().dup()]))
    finally:
        _in_upstream.reset(token)
    while not server.started:
        if serving.done():
            serving.result()  # raises what stopped it
            raise RuntimeError(f"The demo upstream on {url()} stopped during its startup.")
        await asyncio.sleep(0.01)
    logger.info("Upstream listening on %s", url())
    try:
        yield {"upstream_url": url()}
    finally:
        server.should_exit = True
        await serving
        logger.info("Upstream on %s stopped", url())
