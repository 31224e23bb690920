"""The client of httpx_lifespan_manager, as a provider: the lifespan opens and closes it."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers


class Container(containers.DeclarativeContainer):
    # Stored in the lifespan state under its attribute name, so
    # request.state["httpx_client_from_user"] keeps working where it is still read.
    httpx_client_from_user = providers.Resource(httpx.AsyncClient)
