"""CPU cost per request without the network: requests driven straight through the ASGI app.

The server benchmark includes uvicorn, the sockets and the load generator, and on a shared
machine its figures move by several per cent between runs. This one calls the variant's ASGI
application in a loop in one process (lifespan first, as a server would), so what is left is
the request path itself: Django, the middleware, the decorator. Each run keeps the best of its
batches of ``BATCH`` requests. One run per process::

    BENCH_VARIANT=lifespan_di python -m bench.direct 3000
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Application = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
WARM_UP = 300
#: Requests per timed batch; a run keeps its best batch.
BATCH = 250


def http_scope(state: dict[str, Any]) -> Message:
    """What uvicorn passes for ``GET /``, with a shallow copy of the lifespan state."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": state.copy(),
    }


async def request(application: Application, state: dict[str, Any]) -> bytes:
    """One GET through the application; returns the body."""
    messages: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Future()  # no disconnect: Django waits for one until it has answered
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await application(http_scope(state), receive, send)
    return b"".join(message.get("body", b"") for message in sent[1:])


async def start_lifespan(
    application: Application, state: dict[str, Any]
) -> tuple[asyncio.Task[None], asyncio.Queue[Message]]:
    """Start the application's lifespan like uvicorn does (an app that raises has none)."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def send(message: Message) -> None:
        if not started.done():
            started.set_result(message["type"])

    scope: Message = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.ensure_future(application(scope, inbox.get, send))
    either: list[asyncio.Future[Any]] = [task, started]
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        task.exception()  # it raised on the lifespan scope: serve without one, as uvicorn does
    elif started.result() != "lifespan.startup.complete":
        raise RuntimeError(f"lifespan startup failed: {started.result()}")
    return task, inbox


async def cost_per_request(count: int) -> dict[str, float]:
    from bench.project.asgi import application

    state: dict[str, Any] = {}
    lifespan, inbox = await start_lifespan(application, state)
    for _ in range(WARM_UP):
        body = await request(application, state)
    if body != b"ok":
        raise RuntimeError(f"the view answered {body!r}, not b'ok'")
    # The best of several batches: on a shared machine the other processes only ever add time.
    batches = max(count // BATCH, 1)
    best = float("inf")
    for _ in range(batches):
        begun = time.perf_counter()
        for _ in range(BATCH):
            await request(application, state)
        best = min(best, (time.perf_counter() - begun) / BATCH)
    if not lifespan.done():
        await inbox.put({"type": "lifespan.shutdown"})
        await lifespan
    return {"us_per_request": best * 1e6, "requests": batches * BATCH}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    print(json.dumps(asyncio.run(cost_per_request(int(sys.argv[1])))))


if __name__ == "__main__":
    main()
