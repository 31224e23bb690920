"""The code the views and the command share: a search over the shared HTTP client."""

from __future__ import annotations

import httpx


class SearchService:
    def __init__(self, client: httpx.AsyncClient, limit: int) -> None:
        self.client = client
        self.limit = limit

    async def search(self, query: str) -> list[str]:
        response = await self.client.get(
            "/search/repositories", params={"q": query, "per_page": self.limit}
        )
        response.raise_for_status()
        return [item["full_name"] for item in response.json()["items"]]
