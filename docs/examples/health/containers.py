"""The guide's container: shared HTTP clients of the payments API and of the search service."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers


class Container(containers.DeclarativeContainer):
    config = providers.Configuration(
        default={"payments_url": "http://payments.internal", "search_url": "http://search.internal"}
    )
    payments = providers.Resource(httpx.AsyncClient, base_url=config.payments_url, timeout=2.0)
    search = providers.Resource(httpx.AsyncClient, base_url=config.search_url, timeout=2.0)
