"""The container, the dependency-injector way: a module-level instance with the project's
configuration loaded into it. LIFESPAN_DI["CONTAINERS"] names this instance, and the
lifespan opens and closes its resources."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers

from docs.examples.from_di.after import settings
from docs.examples.from_di.after.services import SearchService


# --8<-- [start:container]
class Container(containers.DeclarativeContainer):
    config = providers.Configuration()

    http_client = providers.Resource(
        httpx.AsyncClient, base_url=config.api_url, timeout=config.timeout
    )
    search_service = providers.Factory(SearchService, client=http_client, limit=config.limit)


container = Container()
container.config.from_dict(settings.SEARCH_API)
# --8<-- [end:container]
