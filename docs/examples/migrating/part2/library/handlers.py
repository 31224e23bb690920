"""The library app's lifespan code after Part 2: the client manager became a provider."""

# --8<-- [start:imports]
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx
from asgiref.sync import sync_to_async

from django_lifespan_di import LifespanManager

if TYPE_CHECKING:
    from .apps import LibraryConfig

logger = logging.getLogger(__name__)
# --8<-- [end:imports]


# --8<-- [start:receivers]
def app_config_lifespan(app_config: LibraryConfig) -> LifespanManager:
    """The asgi_startup and asgi_shutdown receivers, as one lifespan manager."""

    @asynccontextmanager
    async def keep_httpx_client() -> AsyncIterator[None]:
        # What the asgi_startup receivers did:
        await sync_to_async(log_startup)()
        logger.info("Lifespan->Startup. Initializing HTTPX client.")
        client = app_config.httpx_client = httpx.AsyncClient()
        try:
            yield None  # nothing for the lifespan state: the client lives on the AppConfig
        finally:
            # What the asgi_shutdown receivers did:
            await client.aclose()
            logger.info("Lifespan->Shutdown. Closed HTTPX client.")
            await sync_to_async(log_shutdown)()

    return keep_httpx_client


def log_startup() -> None:
    """Was a sync receiver (blocking code belongs in one): run in a worker thread."""
    logger.info("Library: starting.")


def log_shutdown() -> None:
    logger.info("Library: stopped.")


# --8<-- [end:receivers]
