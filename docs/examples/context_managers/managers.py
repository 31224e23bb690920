"""Two lifespan managers: one puts a client into the state, one runs a background task."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

#: City -> when it was last searched for; views add to it, the background task prunes it.
recent_searches: dict[str, float] = {}


# --8<-- [start:state]
@contextlib.asynccontextmanager
async def geocoder_client() -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(base_url="https://geocoder.example", timeout=5) as client:
        yield {"geocoder": client}  # request.state["geocoder"] in every request
    # Leaving the `async with` at shutdown closes the client.


# --8<-- [end:state]


# --8<-- [start:task]
async def prune_recent_searches(every: float, max_age: float) -> None:
    while True:
        cutoff = time.monotonic() - max_age
        for city, searched_at in list(recent_searches.items()):
            if searched_at < cutoff:
                del recent_searches[city]
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def pruning_in_background() -> AsyncIterator[None]:
    task = asyncio.create_task(prune_recent_searches(every=60, max_age=3600), name="pruning")
    try:
        yield  # nothing to put into the state
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --8<-- [end:task]
