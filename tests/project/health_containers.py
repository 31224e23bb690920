"""A container whose resources are pinged, for the health probes' tests: an HTTP client of an
upstream on 127.0.0.1 (``tests/support/upstream.py``, which a test stops and restarts) and a
sidecar whose sync ping can hang. Each ping is journalled, so a test counts them per process.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator

import httpx
from dependency_injector import containers, providers

from tests.project.containers import Tracked, open_async
from tests.project.journal import fault, record

#: Each ping's timeout (``tests/project/apps.py`` registers them): the upstream's leaves room
#: for a busy machine, the sidecar's is what a hanging ping is abandoned at.
UPSTREAM_PING_TIMEOUT = 2.0
SIDECAR_PING_TIMEOUT = 0.5
#: How long a hanging ping (LIFESPAN_DI_TEST_HANG_PING=sidecar) blocks its worker thread.
HANG_SECONDS = 5.0
#: Where the upstream listens when no test says (the discard port: nothing answers there).
NO_UPSTREAM = "http://127.0.0.1:9"


async def open_upstream_client(name: str) -> AsyncIterator[httpx.AsyncClient]:
    record(f"open {name}")
    url = os.environ.get("LIFESPAN_DI_TEST_UPSTREAM", NO_UPSTREAM)
    async with httpx.AsyncClient(base_url=url, timeout=UPSTREAM_PING_TIMEOUT) as client:
        yield client
    record(f"close {name}")


async def ping_upstream(client: httpx.AsyncClient) -> None:
    """The pooled client the views use, asked on its own loop."""
    record("ping upstream")
    response = await client.get("/ping")
    response.raise_for_status()


def ping_sidecar(sidecar: Tracked) -> None:
    """A sync ping: it runs in a worker thread, where it may block."""
    record("ping sidecar")
    if fault("hang_ping", "sidecar"):
        time.sleep(HANG_SECONDS)


class HealthContainer(containers.DeclarativeContainer):
    upstream = providers.Resource(open_upstream_client, "upstream")
    sidecar = providers.Resource(open_async, "sidecar")
