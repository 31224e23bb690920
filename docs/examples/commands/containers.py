"""The container the commands, scripts and workers share with the views."""

from __future__ import annotations

import httpx
from dependency_injector import containers, providers


class Container(containers.DeclarativeContainer):
    inventory_client = providers.Resource(
        httpx.AsyncClient, base_url="https://inventory.example.com", timeout=10.0
    )
