"""Async code that needs the shared client: called from views and tasks alike."""

from __future__ import annotations

from redis.asyncio import Redis


async def add_visit(redis: Redis, page: str) -> int:
    visits: int = await redis.incr(f"visits:{page}")
    return visits
