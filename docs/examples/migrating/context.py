"""The lifespan manager of a django-asgi-lifespan project; it stays as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx


@asynccontextmanager
async def httpx_lifespan_manager() -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(base_url="https://weather.example.com") as client:
        yield {"weather_client": client}
