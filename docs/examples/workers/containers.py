"""The container the web process and the workers share: a Redis client, one per process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from dependency_injector import containers, providers
from redis.asyncio import Redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")


async def open_redis(url: str) -> AsyncIterator[Redis]:
    async with Redis.from_url(url, decode_responses=True) as redis:
        await redis.ping()  # connect now: a Redis that is down fails the startup, by name
        yield redis  # the rest runs at shutdown: the client's connections close


class Container(containers.DeclarativeContainer):
    # One client and its connection pool in each process that runs the project.
    redis = providers.Resource(open_redis, REDIS_URL)
