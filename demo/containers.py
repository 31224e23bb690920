"""The demo's container: what the lifespan opens at startup and closes at shutdown."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from dependency_injector import containers, providers

from demo import upstream
from demo.store import open_store

DEFAULT_DB_PATH = Path(__file__).resolve().parent / "demo.sqlite3"


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()
    config.upstream_url.from_value(upstream.url())
    config.db_path.from_value(os.environ.get("DEMO_DB_PATH", str(DEFAULT_DB_PATH)))
    # A stand-in for a real credential: the status page and the readiness view never show it.
    config.api_token.from_value(os.environ.get("DEMO_API_TOKEN", "demo-secret-token"))

    #: One client for the whole process: its connection pool is shared by every request.
    #: Resource() enters it as an async context manager, so shutdown closes the pool.
    http_client = providers.Resource(
        httpx.AsyncClient,
        base_url=config.upstream_url,
        headers=providers.Dict(authorization=config.api_token),
        timeout=5.0,
    )
    store = providers.Resource(open_store, config.db_path)
