"""Each way of declaring a resource, in one container."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import aiosqlite
from dependency_injector import containers, providers, resources

logger = logging.getLogger(__name__)


# --8<-- [start:async-generator]
async def open_database(path: str) -> AsyncIterator[aiosqlite.Connection]:
    connection = await aiosqlite.connect(path)
    try:
        yield connection
    finally:
        await connection.close()


# --8<-- [end:async-generator]


# --8<-- [start:sync-generator]
def open_executor(max_workers: int) -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(max_workers, thread_name_prefix="reports")
    yield executor
    executor.shutdown(wait=True)  # blocks the event loop: keep sync shutdowns short


# --8<-- [end:sync-generator]


# --8<-- [start:async-resource]
class AuditQueue(resources.AsyncResource["asyncio.Queue[str]"]):
    """Views put audit lines on the queue; a background task writes them out."""

    async def init(self, batch_size: int) -> asyncio.Queue[str]:
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.writer = asyncio.create_task(self.write_batches(batch_size))
        return self.queue

    async def shutdown(self, queue: asyncio.Queue[str] | None) -> None:
        await self.queue.join()  # every line queued before shutdown is written
        self.writer.cancel()

    async def write_batches(self, batch_size: int) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < batch_size and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            logger.info("audit: %s", "; ".join(batch))
            for _ in batch:
                self.queue.task_done()


# --8<-- [end:async-resource]


# --8<-- [start:function]
def configure_logging(level: str) -> None:
    logging.getLogger("reports").setLevel(level)


# --8<-- [end:function]


# --8<-- [start:container]
class StorageContainer(containers.DeclarativeContainer):
    database = providers.Resource(open_database, ":memory:")


class Container(containers.DeclarativeContainer):
    storage = providers.Container(StorageContainer)  # started too, as Container.storage.database
    executor = providers.Resource(open_executor, max_workers=4)
    audit = providers.Resource(AuditQueue, batch_size=100)
    logging = providers.Resource(configure_logging, "INFO")  # runs once; nothing to close


# --8<-- [end:container]
