"""The library app's lifespan code before the migration (django-asgi-lifespan)."""

# --8<-- [start:imports]
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
from django_asgi_lifespan.types import LifespanManager

if TYPE_CHECKING:
    from .apps import LibraryConfig

logger = logging.getLogger(__name__)
# --8<-- [end:imports]


# --8<-- [start:manager]
@asynccontextmanager
async def httpx_lifespan_manager() -> LifespanManager:
    logger.info("Lifespan: Initializing HTTPX client.")
    state = {"httpx_client_from_user": httpx.AsyncClient()}
    try:
        yield state
    finally:
        await state["httpx_client_from_user"].aclose()
        logger.info("Lifespan: Closed HTTPX client.")


# --8<-- [end:manager]


# --8<-- [start:receivers]
class ASGILifespanSignalHandler:
    """Keeps an httpx client on the AppConfig from asgi_startup to asgi_shutdown."""

    def __init__(self, app_config: LibraryConfig) -> None:
        self.app_config = app_config

    async def startup(self, **kwargs: Any) -> None:
        logger.info("Lifespan->Startup. Initializing HTTPX client.")
        self.app_config.httpx_client = httpx.AsyncClient()

    async def shutdown(self, **kwargs: Any) -> None:
        await self.app_config.httpx_client.aclose()
        logger.info("Lifespan->Shutdown. Closed HTTPX client.")


def log_startup(**kwargs: Any) -> None:
    """A sync receiver (blocking code belongs in one): run in a worker thread."""
    logger.info("Library: starting.")


def log_shutdown(**kwargs: Any) -> None:
    logger.info("Library: stopped.")


# --8<-- [end:receivers]
